import { describe, expect, it } from "vitest";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { detectFormat } from "./detect-format.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const FHIR_JSON = utf8('{"resourceType":"Bundle","type":"message"}');
const FHIR_XML = utf8(
  '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment -->\n<Bundle xmlns="http://hl7.org/fhir"><type value="message"/></Bundle>',
);
const OIOXML = utf8(
  '<?xml version="1.0" encoding="windows-1252"?><Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2014/10/08/"/>',
);

describe("detectFormat", () => {
  it("sniffs each format from the bytes when no content type is given", () => {
    expect(detectFormat(FHIR_JSON)).toEqual({ ok: true, format: "fhir+json" });
    expect(detectFormat(FHIR_XML)).toEqual({ ok: true, format: "fhir+xml" });
    expect(detectFormat(OIOXML)).toEqual({ ok: true, format: "oioxml" });
    expect(detectFormat(utf8('  \n<ns:Emessage xmlns:ns="x"/>'))).toEqual({ ok: true, format: "oioxml" });
    expect(detectFormat(utf8('<f:Bundle xmlns:f="http://hl7.org/fhir"/>'))).toEqual({ ok: true, format: "fhir+xml" });
  });

  it("reads past a BOM, processing instructions and a DOCTYPE to the root element", () => {
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...OIOXML]);
    expect(detectFormat(withBom)).toEqual({ ok: true, format: "oioxml" });
    const utf16 = Uint8Array.from([0xff, 0xfe, ...Buffer.from('<Bundle xmlns="http://hl7.org/fhir"/>', "utf16le")]);
    expect(detectFormat(utf16)).toEqual({ ok: true, format: "fhir+xml" });
    const pi = utf8('<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><!DOCTYPE Emessage><Emessage/>');
    expect(detectFormat(pi)).toEqual({ ok: true, format: "oioxml" });
  });

  // JSON is recognised from the bytes without decoding them, before the decoded look: it must not skip more than
  // that look skips (white space to /\s/ in windows-1252, which the head is decoded as). Catches a byte scan that
  // skips control bytes or other bytes too: a body the decoded look refuses as unknown would be read as JSON. (One
  // that skips too little only leaves the body to the decoded look.)
  it("finds JSON behind exactly the leading bytes the decoded look skips as white space", () => {
    for (let byte = 0; byte < 256; byte++) {
      const leading = Uint8Array.of(byte, byte, ...FHIR_JSON);
      const space = /\s/.test(new TextDecoder("latin1").decode(Uint8Array.of(byte)));
      const expected = space || byte === 0x7b ? "fhir+json" : undefined;
      const detected = detectFormat(leading);
      expect([byte, detected.ok ? detected.format : undefined]).toEqual([byte, expected]);
      const behindBom = detectFormat(Uint8Array.of(0xef, 0xbb, 0xbf, ...leading));
      expect([byte, behindBom.ok ? behindBom.format : undefined]).toEqual([byte, expected]);
    }
  });

  it("looks past 2 KiB of comment, whitespace, or a root start tag that straddles the first look", () => {
    const comment = utf8(`<!--${"x".repeat(3000)}--><Bundle xmlns="http://hl7.org/fhir"/>`);
    expect(detectFormat(comment)).toEqual({ ok: true, format: "fhir+xml" });
    const spaces = utf8(`${" ".repeat(3000)}{"resourceType":"Bundle"}`);
    expect(detectFormat(spaces)).toEqual({ ok: true, format: "fhir+json" });
    const prefix = `<?xml version="1.0"?><!--${"x".repeat(2048 - 40)}-->`;
    const straddling = utf8(`${prefix}<Bundle id="a" xmlns="http://hl7.org/fhir"><type value="message"/></Bundle>`);
    expect(prefix.length).toBeLessThan(2048);
    expect(prefix.length + 40).toBeGreaterThan(2048);
    expect(detectFormat(straddling)).toEqual({ ok: true, format: "fhir+xml" });
  });

  it("takes the declared content type first, and accepts each documented one", () => {
    expect(detectFormat(FHIR_JSON, "application/fhir+json; charset=utf-8")).toEqual({ ok: true, format: "fhir+json" });
    expect(detectFormat(FHIR_JSON, "application/json+fhir")).toEqual({ ok: true, format: "fhir+json" });
    expect(detectFormat(FHIR_JSON, "Application/JSON")).toEqual({ ok: true, format: "fhir+json" });
    expect(detectFormat(FHIR_XML, "application/fhir+xml")).toEqual({ ok: true, format: "fhir+xml" });
    expect(detectFormat(FHIR_XML, "application/xml")).toEqual({ ok: true, format: "fhir+xml" });
    expect(detectFormat(OIOXML, "application/xml")).toEqual({ ok: true, format: "oioxml" });
    expect(detectFormat(OIOXML, "text/xml; charset=windows-1252")).toEqual({ ok: true, format: "oioxml" });
  });

  it("reports a content type the bytes contradict as a mismatch", () => {
    for (const [bytes, type] of [
      [FHIR_XML, "application/fhir+json"],
      [FHIR_JSON, "application/fhir+xml"],
      [FHIR_JSON, "application/xml"],
      [OIOXML, "application/fhir+xml"],
      [OIOXML, "application/fhir+json"],
      [utf8("<html/>"), "application/xml"],
    ] as const) {
      expect(detectFormat(bytes, type)).toMatchObject({ ok: false, issue: { code: FORMAT_ERROR_CODES.MISMATCH } });
    }
  });

  it("refuses unsupported content types, empty bodies and unknown bytes", () => {
    expect(detectFormat(FHIR_JSON, "text/plain")).toMatchObject({
      ok: false,
      issue: { code: FORMAT_ERROR_CODES.CONTENT_TYPE_UNSUPPORTED },
    });
    expect(detectFormat(utf8("   \n"))).toMatchObject({ ok: false, issue: { code: FORMAT_ERROR_CODES.EMPTY } });
    expect(detectFormat(new Uint8Array())).toMatchObject({ ok: false, issue: { code: FORMAT_ERROR_CODES.EMPTY } });
    expect(detectFormat(utf8("MSH|^~\\&|"))).toMatchObject({ ok: false, issue: { code: FORMAT_ERROR_CODES.UNKNOWN } });
    expect(detectFormat(utf8("<html><body/></html>"))).toMatchObject({
      ok: false,
      issue: { code: FORMAT_ERROR_CODES.UNKNOWN },
    });
    expect(detectFormat(utf8("<!-- never closed"))).toMatchObject({
      ok: false,
      issue: { code: FORMAT_ERROR_CODES.UNKNOWN },
    });
  });
});
