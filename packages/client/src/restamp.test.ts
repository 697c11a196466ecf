import { describe, expect, it } from "vitest";
import { danishDateTime, restampMessage } from "./restamp.ts";

const stamp = { envelopeId: "NEWENVELOPE123", sentAt: new Date("2026-07-01T12:34:56.000Z") };

describe("restampMessage", () => {
  it("renews Bundle.id, Bundle.timestamp and a matching Bundle.identifier in FHIR JSON only", () => {
    const original = {
      resourceType: "Bundle",
      id: "old",
      identifier: { value: "old" },
      type: "message",
      timestamp: "2026-01-01T00:00:00+01:00",
      entry: [{ resource: { resourceType: "MessageHeader", id: "mh-1" } }],
    };
    const out = JSON.parse(restampMessage(JSON.stringify(original), "application/fhir+json", stamp) as string);
    expect(out).toEqual({
      ...original,
      id: "NEWENVELOPE123",
      identifier: { value: "NEWENVELOPE123" },
      timestamp: "2026-07-01T12:34:56.000Z",
    });
  });

  it("renews only the Bundle's own id and timestamp in FHIR XML", () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Bundle xmlns="http://hl7.org/fhir"><id value="old"/><type value="message"/>' +
      '<timestamp value="2026-01-01T00:00:00Z"/><entry><resource><MessageHeader><id value="mh-1"/></MessageHeader></resource></entry></Bundle>';
    const out = restampMessage(xml, "application/fhir+xml", stamp);
    expect(out).toBe(
      xml
        .replace('<id value="old"/>', '<id value="NEWENVELOPE123"/>')
        .replace("2026-01-01T00:00:00Z", "2026-07-01T12:34:56.000Z"),
    );
  });

  it("renews the OIOXML envelope identifier and send time and keeps windows-1252 bytes intact", () => {
    const xml =
      '<?xml version="1.0" encoding="ISO-8859-1"?><Emessage><Envelope><Sent><Date>2026-01-01</Date><Time>09:00</Time></Sent>' +
      "<Identifier>OLD</Identifier><AcknowledgementCode>pluspositivkvitt</AcknowledgementCode></Envelope>" +
      "<LaboratoryReport><Letter><Identifier>LETTER1</Identifier><Sent><Date>2026-01-01</Date></Sent></Letter><Name>Søren Ærø</Name></LaboratoryReport></Emessage>";
    const bytes = new Uint8Array(Buffer.from(xml, "latin1"));
    const out = restampMessage(bytes, "application/xml", stamp) as Uint8Array;
    const text = Buffer.from(out).toString("latin1");
    expect(text).toContain(
      "<Envelope><Sent><Date>2026-07-01</Date><Time>14:34</Time></Sent><Identifier>NEWENVELOPE123</Identifier>",
    );
    expect(text).toContain("<Letter><Identifier>LETTER1</Identifier><Sent><Date>2026-01-01</Date></Sent></Letter>");
    expect(Buffer.from(out).includes(Buffer.from("Søren Ærø", "latin1"))).toBe(true);
  });

  it("refuses what it cannot re-stamp", () => {
    expect(() => restampMessage("x", "text/plain", stamp)).toThrow(/content type/);
    expect(() => restampMessage("<Emessage/>", "application/xml", stamp)).toThrow(/Envelope/);
  });

  it("writes OIOXML times as Danish local time across daylight saving", () => {
    expect(danishDateTime(new Date("2026-01-15T23:30:00Z"))).toEqual({ date: "2026-01-16", time: "00:30" });
    expect(danishDateTime(new Date("2026-07-15T21:59:00Z"))).toEqual({ date: "2026-07-15", time: "23:59" });
  });
});
