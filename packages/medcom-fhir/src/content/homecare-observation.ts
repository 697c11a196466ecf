import type { ContentOf } from "@carehub/schemas";
import { codings, type FhirObject, obj, objects, str } from "../fhir-json.ts";
import { HOMECARE_OBSERVATION_CODES } from "../terminology/medcom-codes.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";
import type { ReadContext } from "./context.ts";
import { checkMedia, checkPerformers } from "./homecare-report-invariants.ts";

type Observation = ContentOf<"homecare-observation">["observations"][number];

/**
 * The MedCom observation codes (MCS…) were published under this URL before terminology 2.x; EHMI samples
 * still send it. Same codes, so they are read as the current system.
 */
const LEGACY_MEDCOM_OBSERVATION_SYSTEM = "https://terminology.medcom.dk/fhir/observation-code";

function canonicalSystem(system: string | undefined): string | undefined {
  return system === LEGACY_MEDCOM_OBSERVATION_SYSTEM ? SYSTEMS.medcomObservation : system;
}

/** Consent withheld = DiagnosticReport.meta.security carries v3-Confidentiality R (restricted). */
export function consentWithheld(report: FhirObject): boolean {
  return objects(obj(report, "meta"), "security").some(
    ({ value }) => str(value, "system") === SYSTEMS.confidentiality && str(value, "code") === "R",
  );
}

/** The observation's value as text: "38.7 °C", "<7.1 mmol/L", or the valueString. */
export function observationValueText(observation: FhirObject): string | undefined {
  const quantity = obj(observation, "valueQuantity");
  if (quantity !== undefined) {
    const value = quantity.value;
    if (typeof value !== "number") return undefined;
    // UCUM "1" (unity) says "no unit"; it is not worth printing.
    const code = str(quantity, "code");
    const unit = str(quantity, "unit") ?? (code === "1" ? undefined : code);
    return `${str(quantity, "comparator") ?? ""}${value}${unit === undefined ? "" : ` ${unit}`}`;
  }
  return str(observation, "valueString");
}

export function readHomecareObservation(ctx: ReadContext): ContentOf<"homecare-observation"> | undefined {
  const { focus, issues, bundle } = ctx;
  if (focus === undefined) return undefined;
  const report = focus.resource;
  const reportStatus = str(report, "status");
  if (reportStatus !== "final")
    issues.error("CAREHUB_ERR_FHIR_HCO_REPORT_STATUS", `${focus.path}.status`, "DiagnosticReport.status must be final");
  checkTime(str(report, "issued"), `${focus.path}.issued`, "DiagnosticReport.issued", issues);
  checkPerformers(bundle, focus, ctx.newRules);
  checkMedia(bundle, focus, ctx.newRules);

  const observations: Observation[] = [];
  for (const { value: ref, index } of objects(report, "result")) {
    const entry = bundle.resolveRef(ref, "Observation");
    if (entry === undefined) {
      issues.error(
        "CAREHUB_ERR_FHIR_HCO_RESULT_MISSING",
        `${focus.path}.result[${index}]`,
        "the result reference does not resolve to an Observation in the Bundle",
      );
      continue;
    }
    const o = entry.resource;
    const all = codings(obj(o, "code"));
    const known = all.find((c) =>
      HOMECARE_OBSERVATION_CODES.has(`${canonicalSystem(str(c, "system"))}|${str(c, "code")}`),
    );
    if (known === undefined)
      issues.error(
        "CAREHUB_ERR_FHIR_HCO_OBSERVATION_CODE",
        `${entry.path}.code`,
        "the observation code is not in the national analysis repertoire (NPU / MedCom observation codes)",
      );
    const chosen = known ?? all[0];
    const valueString = str(o, "valueString");
    if (valueString !== undefined && valueString.length > 12)
      issues.error(
        "CAREHUB_ERR_FHIR_HCO_VALUE_TOO_LONG",
        `${entry.path}.valueString`,
        "Observation.valueString may be at most 12 characters",
      );
    checkTime(str(o, "effectiveDateTime"), `${entry.path}.effectiveDateTime`, "Observation.effectiveDateTime", issues);
    const observation: Observation = {
      system: canonicalSystem(str(chosen, "system")) ?? "",
      code: str(chosen, "code") ?? "",
    };
    const value = observationValueText(o);
    if (value !== undefined) observation.value = value;
    observations.push(observation);
  }
  return {
    kind: "homecare-observation",
    reportStatus: reportStatus ?? "",
    consentGiven: !consentWithheld(report),
    observations,
  };
}
