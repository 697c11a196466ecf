import { describe, expect, it } from "vitest";
import * as sample from "../../test/sample-inputs.ts";
import { parseFhirMessage } from "../parse-fhir-message.ts";
import { serializeFhirXml } from "../xml/serialize-fhir-xml.ts";
import { buildLabResult } from "./lab-result.ts";
import type { LabResultInput, LabResultObservation } from "./types.ts";

const [CRP] = sample.labResult.observations as [LabResultObservation, ...LabResultObservation[]];

const LAB = { sor: "265161000016000", gln: "5790000120284", name: "KKA Svendborg" };

function contentOf(input: LabResultInput, form: "json" | "xml" = "json") {
  const built = buildLabResult(input);
  const result = parseFhirMessage(form === "json" ? built.json : serializeFhirXml(built.bundle));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  expect(result.message.kind).toBe("lab-result");
  const { content } = result.message;
  if (content.kind !== "lab-result") throw new Error(content.kind);
  return { content, message: result.message };
}

describe("carehub lab result (a practice's own results)", () => {
  it("reads back the sample, the status and each result as the practice's own, in JSON and XML", () => {
    for (const form of ["json", "xml"] as const) {
      const { content } = contentOf(sample.labResult, form);
      expect(content).toMatchObject({
        letterType: "carehub-lab-result",
        reportStatus: "final",
        consentGiven: true,
        corrected: false,
        sampleId: "P-2026-000417",
      });
      expect(content.results.map((r) => [r.analysisCode, r.producedBySender])).toEqual([
        ["NPU19748", true],
        ["NPU27300", true],
      ]);
    }
  });

  it("marks a result measured by another organization (a lab) as not the sender's", () => {
    const received = {
      ...sample.labResult,
      observations: sample.labResult.observations.map((o) => ({ ...o, performer: LAB })),
    };
    expect(contentOf(received).content.results.every((r) => r.producedBySender === false)).toBe(true);
    // The same organization named twice (another resource, the same GLN) is still the sender.
    const selfNamed = {
      ...sample.labResult,
      observations: [{ ...CRP, performer: sample.PRACTICE }],
    };
    expect(contentOf(selfNamed).content.results[0]?.producedBySender).toBe(true);
  });

  it("reads consent withheld from meta.security R, and a correction from the Provenance", () => {
    expect(contentOf({ ...sample.labResult, consentGiven: false }).content.consentGiven).toBe(false);
    const correction = contentOf({
      ...sample.base(13, sample.PRACTICE, sample.MUNICIPALITY),
      ...sample.labResult,
      ids: {
        bundleId: "b0000000-0000-4000-8000-00000000c013",
        messageHeaderId: "a0000000-0000-4000-8000-00000000c013",
      },
      link: { type: "modified", to: { messageId: sample.labResult.ids.messageHeaderId } },
      observations: [{ ...CRP, status: "corrected" }],
    });
    expect(correction.content.corrected).toBe(true);
    expect(correction.content.sampleId).toBe("P-2026-000417");
    expect(correction.message.links.corrects?.messageId).toBe(sample.labResult.ids.messageHeaderId);
  });

  it("refuses a result without an NPU code and a text value the XRPT01 letter could not hold", () => {
    const built = buildLabResult({
      ...sample.labResult,
      observations: [{ ...CRP, value: { string: "far too long a value" } }],
    });
    const bundle = JSON.parse(built.json);
    const observation = bundle.entry.find(
      (e: { resource: { resourceType: string } }) => e.resource.resourceType === "Observation",
    );
    observation.resource.code.coding[0].system = "http://loinc.org";
    const result = parseFhirMessage(JSON.stringify(bundle));
    if (result.ok) throw new Error("accepted");
    expect(result.issues.map((i) => i.code).sort()).toEqual([
      "CAREHUB_ERR_FHIR_LAB_ANALYSIS_CODE",
      "CAREHUB_ERR_FHIR_LAB_VALUE_TOO_LONG",
    ]);
  });
});
