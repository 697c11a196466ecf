import type { ParseResult } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { careCommunication } from "../test/sample-inputs.ts";
import { buildCareCommunication } from "./build/care-communication.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";
import { fhirXmlToJson } from "./xml/fhir-xml-to-json.ts";

// Hostile inputs must be refused early with a clear code. The generous per-test timeout is the bound on
// "quickly": a parser that expanded entities or walked 50 MB would blow through it.
const BOUND_MS = 5_000;

function codes(result: ParseResult): string[] {
  return result.ok ? [] : result.issues.map((i) => i.code);
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Bundle xmlns="http://hl7.org/fhir"><id value="&lol9;"/></Bundle>`;

describe("hostile input is refused quickly, with a clear code", () => {
  it("refuses a billion-laughs entity bomb without expanding it", { timeout: BOUND_MS }, () => {
    expect(codes(parseFhirMessage(BILLION_LAUGHS))).toEqual(["CAREHUB_ERR_FHIR_XML_DOCTYPE"]);
  });

  it("refuses an external entity (XXE)", { timeout: BOUND_MS }, () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE Bundle [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Bundle xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Bundle>`;
    const result = parseFhirMessage(xxe);
    expect(codes(result)).toEqual(["CAREHUB_ERR_FHIR_XML_DOCTYPE"]);
    expect(JSON.stringify(result)).not.toContain("root:");
  });

  it("refuses any DOCTYPE, even an empty one, and a parameter entity", { timeout: BOUND_MS }, () => {
    expect(codes(parseFhirMessage('<!DOCTYPE Bundle><Bundle xmlns="http://hl7.org/fhir"/>'))).toEqual([
      "CAREHUB_ERR_FHIR_XML_DOCTYPE",
    ]);
    expect(codes(parseFhirMessage('<Bundle xmlns="http://hl7.org/fhir"><!ENTITY % p "x"></Bundle>'))).toEqual([
      "CAREHUB_ERR_FHIR_XML_DOCTYPE",
    ]);
  });

  it("refuses an undeclared entity reference instead of passing it through", () => {
    const result = fhirXmlToJson('<Bundle xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Bundle>');
    expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_FHIR_XML_SYNTAX"]);
  });

  it("refuses a 50 MB body before decoding it, without holding a copy on the heap", { timeout: BOUND_MS }, () => {
    const body = Buffer.alloc(50 * 1024 * 1024, 0x20);
    body[0] = 0x7b;
    const before = process.memoryUsage().heapUsed;
    const result = parseFhirMessage(body);
    const grown = process.memoryUsage().heapUsed - before;
    expect(codes(result)).toEqual(["CAREHUB_ERR_FHIR_TOO_LARGE"]);
    // Decoding 50 MB would put at least 50 MB of string on the heap.
    expect(grown).toBeLessThan(20 * 1024 * 1024);
    expect(codes(parseFhirMessage(body, { format: "fhir+xml" }))).toEqual(["CAREHUB_ERR_FHIR_TOO_LARGE"]);
  });

  it("refuses a 50 MB string body", { timeout: BOUND_MS }, () => {
    const text = `<Bundle xmlns="http://hl7.org/fhir">${" ".repeat(50 * 1024 * 1024)}</Bundle>`;
    expect(codes(parseFhirMessage(text))).toEqual(["CAREHUB_ERR_FHIR_TOO_LARGE"]);
  });

  it("refuses 10,000-deep JSON nesting", { timeout: BOUND_MS }, () => {
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    expect(codes(parseFhirMessage(deep))).toEqual(["CAREHUB_ERR_FHIR_TOO_DEEP"]);
    const arrays = `{"resourceType":"Bundle","entry":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    expect(codes(parseFhirMessage(arrays))).toEqual(["CAREHUB_ERR_FHIR_TOO_DEEP"]);
  });

  it("refuses 10,000-deep XML nesting", { timeout: BOUND_MS }, () => {
    const deep = `<Bundle xmlns="http://hl7.org/fhir">${"<entry>".repeat(10_000)}${"</entry>".repeat(10_000)}</Bundle>`;
    expect(codes(parseFhirMessage(deep))).toEqual(["CAREHUB_ERR_FHIR_TOO_DEEP"]);
  });

  it("refuses prototype-polluting keys and leaves Object.prototype alone", () => {
    const json = buildCareCommunication(careCommunication).json;
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const text = json.replace('"resourceType":"Patient"', `"${key}":{"isAdmin":true},"resourceType":"Patient"`);
      expect(codes(parseFhirMessage(text))).toEqual(["CAREHUB_ERR_FHIR_FORBIDDEN_KEY"]);
    }
    // An escaped spelling is the same key once parsed.
    const escaped = json.replace(
      '"resourceType":"Patient"',
      '"\\u005f_proto__":{"isAdmin":true},"resourceType":"Patient"',
    );
    expect(codes(parseFhirMessage(escaped))).toEqual(["CAREHUB_ERR_FHIR_FORBIDDEN_KEY"]);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("never throws on non-text input", () => {
    expect(codes(parseFhirMessage(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])))).toEqual([
      "CAREHUB_ERR_FHIR_NOT_BUNDLE",
    ]);
    expect(codes(parseFhirMessage(new Uint8Array([0xc3, 0x28])))).toEqual(["CAREHUB_ERR_FHIR_ENCODING"]);
    expect(codes(parseFhirMessage(""))).toEqual(["CAREHUB_ERR_FHIR_FORMAT_UNKNOWN"]);
  });
});
