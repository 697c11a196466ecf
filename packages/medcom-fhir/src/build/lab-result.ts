import type { FhirObject, FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, patient, reference } from "./common.ts";
import { observationValue } from "./homecare-observation.ts";
import type { BuiltMessage, LabResultInput, LabResultObservation } from "./types.ts";

/** Identifiers the practice system gives its own samples and reports (carehub naming system). */
const SAMPLE_SYSTEM = "https://carehub.dev/fhir/NamingSystem/practice-sample-id";
const OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

function referenceRange(range: NonNullable<LabResultObservation["referenceRange"]>): FhirObject {
  const out: FhirObject = {};
  if (range.low !== undefined)
    out.low = { value: range.low, ...(range.unit === undefined ? {} : { unit: range.unit }) };
  if (range.high !== undefined)
    out.high = { value: range.high, ...(range.unit === undefined ? {} : { unit: range.unit }) };
  return out;
}

/**
 * A practice's lab result (carehub lab-result profile): DiagnosticReport → NPU-coded Observations, a Specimen with
 * the practice's sample number, the performer of each result (the practice itself unless another is named).
 */
export function buildLabResult(input: LabResultInput): BuiltMessage {
  const { ids } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const practiceRef = reference(organization(derivedId(ids, "sender"), input.sender));
  const others: FhirResource[] = [];
  const performerRef = (o: LabResultObservation): FhirObject => {
    if (o.performer === undefined) return practiceRef;
    const other = organization(derivedId(ids, `performer-${others.length}`), o.performer);
    others.push(other);
    return reference(other);
  };
  const specimen: FhirResource = {
    resourceType: "Specimen",
    id: derivedId(ids, "specimen"),
    text: narrative("Specimen"),
    identifier: [{ system: SAMPLE_SYSTEM, value: input.specimen.identifier }],
    subject: reference(subject),
  };
  if (input.specimen.collected !== undefined) specimen.collection = { collectedDateTime: input.specimen.collected };
  const observations: FhirResource[] = input.observations.map((o, i) => {
    const coding: FhirObject = { system: SYSTEMS.npu, code: o.npu };
    if (o.display !== undefined) coding.display = o.display;
    const resource: FhirResource = {
      resourceType: "Observation",
      id: derivedId(ids, `observation-${i}`),
      text: narrative(`Observation ${o.npu}`),
      status: o.status,
      code: { coding: [coding] },
      subject: reference(subject),
      effectiveDateTime: o.effective,
      performer: [performerRef(o)],
      specimen: reference(specimen),
      ...observationValue(o.value),
    };
    if (o.referenceRange !== undefined) resource.referenceRange = [referenceRange(o.referenceRange)];
    if (o.interpretation !== undefined)
      resource.interpretation = [{ coding: [{ system: OBSERVATION_INTERPRETATION, code: o.interpretation }] }];
    if (o.note !== undefined) resource.note = [{ text: o.note }];
    return resource;
  });
  const meta: FhirObject = {};
  if (!input.consentGiven) meta.security = [{ system: SYSTEMS.confidentiality, code: "R", display: "Restricted" }];
  const report: FhirResource = {
    resourceType: "DiagnosticReport",
    id: derivedId(ids, "diagnostic-report"),
    ...(input.consentGiven ? {} : { meta }),
    text: narrative("Lab result"),
    status: input.status,
    code: { coding: [{ system: "http://loinc.org", code: "11502-2", display: "Laboratory report" }] },
    subject: reference(subject),
    issued: input.issued,
    performer: [practiceRef],
    specimen: [reference(specimen)],
    result: observations.map(reference),
  };
  return buildMessage(input, profileForKind("lab-result"), {
    extra: [subject, report, specimen, ...observations, ...others],
    focus: report,
  });
}
