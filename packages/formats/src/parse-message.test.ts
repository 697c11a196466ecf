import { readFileSync } from "node:fs";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { describe, expect, it } from "vitest";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { parseMessage } from "./parse-message.ts";

const OIOXML_DIR = medcomExamplesDir("oioxml");
const lab = readFileSync(`${OIOXML_DIR}/XRPT01_2.xml`);

describe("parseMessage", () => {
  it("dispatches an OIOXML letter to the OIOXML parser", () => {
    const result = parseMessage(lab, { contentType: "application/xml" });
    expect(result).toMatchObject({ ok: true, message: { format: "oioxml", kind: "lab-result" } });
  });

  it("dispatches FHIR JSON to the FHIR parser and keeps the detected format on a failure", () => {
    const result = parseMessage(new TextEncoder().encode('{"resourceType":"Patient"}'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.partial.format).toBe("fhir+json");
      expect(result.issues[0]?.code).toMatch(/^CAREHUB_ERR_FHIR_/);
    }
  });

  it("fails on a detection problem without calling a parser", () => {
    const result = parseMessage(lab, { contentType: "application/fhir+json" });
    expect(result).toMatchObject({ ok: false, partial: {}, issues: [{ code: FORMAT_ERROR_CODES.MISMATCH }] });
  });

  it("refuses a body over the size limit before detecting anything", () => {
    const result = parseMessage(lab, { maxBytes: 64 });
    expect(result).toMatchObject({ ok: false, issues: [{ code: FORMAT_ERROR_CODES.TOO_LARGE }] });
  });

  it("passes the size limit on to the parser", () => {
    const result = parseMessage(lab, { maxBytes: lab.byteLength });
    expect(result.ok).toBe(true);
  });
});
