import type { ContentOf } from "@carehub/schemas";
import { codings, type FhirObject, obj, objects, str } from "../fhir-json.ts";
import type { BundleIndex, IndexedEntry } from "../read/bundle-index.ts";
import { IDENTIFIER_SYSTEMS, SYSTEMS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";
import type { ReadContext } from "./context.ts";
import { consentWithheld, observationValueText } from "./homecare-observation.ts";

type LabResult = ContentOf<"lab-result">["results"][number];

/** `letterType` of a practice's FHIR lab result (the carehub lab-result profile), beside XRPT01, XRPT05, … */
export const FHIR_LAB_RESULT_TYPE = "carehub-lab-result";

/** `entered-in-error`: what a retraction says of the report and its results (never passed on to a databank). */
const REPORT_STATUSES: ReadonlySet<string> = new Set([
  "final",
  "partial",
  "preliminary",
  "corrected",
  "amended",
  "entered-in-error",
]);
const RESULT_STATUSES: ReadonlySet<string> = new Set([
  "final",
  "preliminary",
  "corrected",
  "amended",
  "entered-in-error",
]);
/** A result that replaces an earlier version of itself (FHIR observation-status). */
const CORRECTED_STATUSES: ReadonlySet<string> = new Set(["corrected", "amended"]);
/** XRPT01 `Value` holds at most 12 characters; a longer value could not be passed on. */
const MAX_VALUE_LENGTH = 12;

/**
 * A practice's own lab result (carehub lab-result profile): a DiagnosticReport of NPU-coded Observations. Which of
 * them the sender produced itself is read from each Observation's performer (else the report's), compared with
 * the MessageHeader.sender organization — which intake checks is the authenticated endpoint.
 */
export function readLabResult(ctx: ReadContext): ContentOf<"lab-result"> | undefined {
  const { focus, issues, bundle } = ctx;
  if (focus === undefined) return undefined;
  const report = focus.resource;
  const reportStatus = str(report, "status");
  if (reportStatus === undefined || !REPORT_STATUSES.has(reportStatus))
    issues.error(
      "CAREHUB_ERR_FHIR_LAB_REPORT_STATUS",
      `${focus.path}.status`,
      "DiagnosticReport.status must be final, partial, preliminary, corrected, amended or entered-in-error",
    );
  checkTime(str(report, "issued"), `${focus.path}.issued`, "DiagnosticReport.issued", issues);
  const sender = bundle.resolveRef(obj(ctx.header.resource, "sender"), "Organization");
  const reportPerformers = objects(report, "performer").map(({ value }) => value);

  const results: LabResult[] = [];
  let correctedResult = false;
  for (const { value: ref, index } of objects(report, "result")) {
    const entry = bundle.resolveRef(ref, "Observation");
    if (entry === undefined) {
      issues.error(
        "CAREHUB_ERR_FHIR_LAB_RESULT_MISSING",
        `${focus.path}.result[${index}]`,
        "the result reference does not resolve to an Observation in the Bundle",
      );
      continue;
    }
    const o = entry.resource;
    const npu = codings(obj(o, "code")).find((c) => str(c, "system") === SYSTEMS.npu);
    if (npu === undefined || str(npu, "code") === undefined)
      issues.error("CAREHUB_ERR_FHIR_LAB_ANALYSIS_CODE", `${entry.path}.code`, "the Observation has no NPU code");
    const status = str(o, "status");
    if (status === undefined || !RESULT_STATUSES.has(status))
      issues.error(
        "CAREHUB_ERR_FHIR_LAB_RESULT_STATUS",
        `${entry.path}.status`,
        "Observation.status must be final, preliminary, corrected, amended or entered-in-error",
      );
    if (status !== undefined && CORRECTED_STATUSES.has(status)) correctedResult = true;
    const valueString = str(o, "valueString");
    if (valueString !== undefined && valueString.length > MAX_VALUE_LENGTH)
      issues.error(
        "CAREHUB_ERR_FHIR_LAB_VALUE_TOO_LONG",
        `${entry.path}.valueString`,
        "Observation.valueString may be at most 12 characters",
      );
    checkTime(str(o, "effectiveDateTime"), `${entry.path}.effectiveDateTime`, "Observation.effectiveDateTime", issues);
    const performers = objects(o, "performer").map(({ value }) => value);
    const result: LabResult = {
      analysisCode: str(npu, "code") ?? "",
      producedBySender: isProducedBy(bundle, performers.length > 0 ? performers : reportPerformers, sender),
    };
    if (status !== undefined) result.status = status;
    const value = observationValueText(o);
    if (value !== undefined) result.value = value;
    const unit = str(obj(o, "valueQuantity"), "unit");
    if (unit !== undefined) result.unit = unit;
    results.push(result);
  }
  const content: ContentOf<"lab-result"> = {
    kind: "lab-result",
    letterType: FHIR_LAB_RESULT_TYPE,
    consentGiven: !consentWithheld(report),
    corrected: ctx.provenance.activity === "modified-message" || correctedResult,
    results,
  };
  if (reportStatus !== undefined) content.reportStatus = reportStatus;
  const sampleId = labSampleId(bundle, report);
  if (sampleId !== undefined) content.sampleId = sampleId;
  return content;
}

/** The sample the results are about: the Specimen's identifier, else the report's (stable across corrections). */
export function labSampleId(bundle: BundleIndex, report: FhirObject): string | undefined {
  const specimen = bundle.resolveRef(objects(report, "specimen")[0]?.value, "Specimen");
  const fromSpecimen = str(objects(specimen?.resource, "identifier")[0]?.value, "value");
  return fromSpecimen ?? str(objects(report, "identifier")[0]?.value, "value");
}

/**
 * Whether the performers are the sender: every performer is the sending Organization (the same entry, or one
 * with the same GLN) or a PractitionerRole of it. No performer at all is not proof of production.
 */
export function isProducedBy(bundle: BundleIndex, performers: FhirObject[], sender: IndexedEntry | undefined): boolean {
  if (sender === undefined || performers.length === 0) return false;
  const senderGln = glnOf(sender);
  const isSender = (entry: IndexedEntry | undefined): boolean =>
    entry !== undefined && (entry === sender || (senderGln !== undefined && glnOf(entry) === senderGln));
  return performers.every((ref) => {
    const target = bundle.resolveRef(ref);
    if (target?.resource.resourceType === "Organization") return isSender(target);
    if (target?.resource.resourceType === "PractitionerRole")
      return isSender(bundle.resolveRef(obj(target.resource, "organization"), "Organization"));
    return false;
  });
}

function glnOf(organization: IndexedEntry): string | undefined {
  const gln = objects(organization.resource, "identifier").find(({ value }) => {
    const system = str(value, "system");
    return system === IDENTIFIER_SYSTEMS.glnHttps || system === IDENTIFIER_SYSTEMS.glnHttp;
  });
  return str(gln?.value, "value");
}
