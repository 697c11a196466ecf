import { buildCareCommunication } from "@carehub/medcom-fhir";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";

/** Real MedCom messages built with carehub's builders, for the SDK's tests. The CPR number is synthetic. */
export const practice = { sor: "52581000016005", gln: "5790000127092", name: "Lægehuset" };
export const municipality = { sor: "1144561000016002", gln: "5790000123117", name: "Akutteam" };
export const lab = { sor: "161803000016005", gln: "5790000120284", name: "KBA" };
// Born 1885 (7th digit 5, YY 85) and failing modulus 11: a number never issued to anyone.
const cpr = "0101855001";

export function careCommunication(messageHeaderId: string, bundleId: string): string {
  return buildCareCommunication({
    ids: { bundleId, messageHeaderId },
    now: "2026-03-02T09:00:00+01:00",
    sender: municipality,
    receiver: practice,
    patient: { identifier: { system: "cpr", value: cpr }, family: "Jensen", given: ["Karen"] },
    threadId: "urn:uuid:5b0e5c3c-8a8e-4c1e-9b7c-6f1b9d1a2b3c",
    category: "nursing",
    text: "Borgeren er set i dag.",
    segmentId: "urn:uuid:0a5d5b4e-2f0b-4c8e-8f62-7f3c7d5e9a10",
    author: { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" },
  }).json;
}

export function labReport(letterId: string, ackRequested: boolean): Uint8Array {
  return encodeXmlText(
    buildLabReport({
      ids: { envelopeId: `E${letterId}`, letterId },
      now: new Date("2026-03-02T09:00:00Z"),
      ackRequested,
      sender: lab,
      receiver: practice,
      patient: { cpr, surname: "Jensen", givenName: "Karen" },
      results: [{ analysisCode: "NPU02319", status: "svar_endeligt", value: "8,1", unit: "mmol/L" }],
    }),
  );
}
