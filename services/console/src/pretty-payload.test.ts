import { describe, expect, it } from "vitest";
import { prettyPayload } from "./pretty-payload.ts";

describe("prettyPayload", () => {
  it("re-indents JSON (FHIR JSON) without changing its content", () => {
    const raw = '{"resourceType":"Bundle","entry":[{"fullUrl":"x"}]}';
    const pretty = prettyPayload(raw, "application/fhir+json");
    expect(pretty).toBe('{\n  "resourceType": "Bundle",\n  "entry": [\n    {\n      "fullUrl": "x"\n    }\n  ]\n}');
    expect(JSON.parse(pretty)).toEqual(JSON.parse(raw));
  });

  it("puts XML (FHIR XML, OIOXML) one element a line, indented by depth, text beside its element", () => {
    const raw = '<?xml version="1.0"?><Emessage><Envelope><Sent>2024</Sent><Empty/></Envelope></Emessage>';
    expect(prettyPayload(raw, "application/xml")).toBe(
      [
        '<?xml version="1.0"?>',
        "<Emessage>",
        "  <Envelope>",
        "    <Sent>2024</Sent>",
        "    <Empty/>",
        "  </Envelope>",
        "</Emessage>",
      ].join("\n"),
    );
  });

  it("shows what it cannot read exactly as received", () => {
    expect(prettyPayload('{"broken":', "application/fhir+json")).toBe('{"broken":');
    expect(prettyPayload("plain text", "text/plain")).toBe("plain text");
  });
});
