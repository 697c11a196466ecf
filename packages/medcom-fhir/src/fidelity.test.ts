import { describe, expect, it } from "vitest";
import { builders, type Json, res } from "../test/broken-message.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";

function ackWithIssueDetail(system: string, code: string) {
  const { bundle } = builders.ack();
  const coding = res(bundle, "OperationOutcome").issue[0].details.coding[0] as Json;
  coding.system = system;
  coding.code = code;
  return parseFhirMessage(JSON.stringify(bundle));
}

describe("acknowledgement issue-details codes of earlier published versions", () => {
  // Catches: acknowledgements still in circulation refused because their code left the current ValueSet.
  it.each([
    ["http://terminology.hl7.org/CodeSystem/operation-outcome", "MSG_RESOURCE_FAIL"],
    ["http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details", "message-delivery-error"],
    [
      "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-issue-details",
      "message-development-error",
    ],
  ])("accepts %s#%s", (system, code) => {
    const result = ackWithIssueDetail(system, code);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(result.ok && result.message.content).toMatchObject({ issues: [{ code }] });
  });

  // Catches: the earlier codes widening into "any code": one no version ever published is still refused.
  it("still refuses a code no published version has, and an earlier code under the wrong system", () => {
    for (const [system, code] of [
      ["http://terminology.hl7.org/CodeSystem/operation-outcome", "MSG_SOMETHING"],
      ["http://terminology.hl7.org/CodeSystem/operation-outcome", "message-delivery-error"],
    ] as const) {
      const result = ackWithIssueDetail(system, code);
      expect(result.ok ? [] : result.issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_FHIR_ACK_ISSUE_CODE"]);
    }
  });
});
