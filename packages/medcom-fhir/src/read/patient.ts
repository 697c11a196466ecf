import type { PatientIdentifier } from "@carehub/schemas";
import { objects, str } from "../fhir-json.ts";
import type { IssueSink } from "../issues.ts";
import type { BundleIndex, IndexedEntry } from "./bundle-index.ts";
import { isValidPatientIdentifier, patientSystemOf } from "./identifiers.ts";

export interface PatientReading {
  entry: IndexedEntry;
  identifier?: PatientIdentifier;
  /** Whether the identifier is a CPR number with use=official or no use (HN-4 wants official CPR). */
  officialCpr: boolean;
}

/**
 * Reads the message's Patient (the first, when there are several) and checks its identifier. The value
 * is personal data: messages name the problem, never the number.
 */
export function readPatient(bundle: BundleIndex, required: boolean, issues: IssueSink): PatientReading | undefined {
  const patients = bundle.ofType("Patient");
  if (required && patients.length !== 1)
    issues.error(
      "CAREHUB_ERR_FHIR_PATIENT_COUNT",
      "Bundle.entry",
      `the message must contain exactly one Patient, found ${patients.length}`,
    );
  const entry = patients[0];
  if (entry === undefined) return undefined;
  let best: { identifier: PatientIdentifier; index: number; use: string | undefined } | undefined;
  for (const { value, index } of objects(entry.resource, "identifier")) {
    const system = patientSystemOf(str(value, "system"));
    const id = str(value, "value");
    if (system === undefined || id === undefined) continue;
    // Prefer a CPR number over a replacement number when both are present.
    if (best === undefined || (best.identifier.system !== "cpr" && system === "cpr"))
      best = { identifier: { system, value: id }, index, use: str(value, "use") };
  }
  if (best === undefined) {
    if (required)
      issues.error(
        "CAREHUB_ERR_FHIR_PATIENT_ID_MISSING",
        `${entry.path}.identifier`,
        "the Patient has no CPR or replacement-CPR identifier",
      );
    return { entry, officialCpr: false };
  }
  if (!isValidPatientIdentifier(best.identifier)) {
    const cpr = best.identifier.system === "cpr";
    issues.error(
      cpr ? "CAREHUB_ERR_FHIR_CPR_INVALID" : "CAREHUB_ERR_FHIR_ECPR_INVALID",
      `${entry.path}.identifier[${best.index}].value`,
      cpr
        ? "the CPR number is not 10 digits starting with a valid DDMMYY date"
        : `the ${best.identifier.system.toUpperCase()} replacement number does not fit its pattern`,
    );
  }
  return {
    entry,
    identifier: best.identifier,
    officialCpr: best.identifier.system === "cpr" && (best.use === undefined || best.use === "official"),
  };
}
