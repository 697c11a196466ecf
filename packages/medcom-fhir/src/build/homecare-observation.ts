import type { FhirObject, FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, patient, practitionerAndRole, reference } from "./common.ts";
import type { BuiltMessage, HomeCareObservationInput, HomeCareObservationValue } from "./types.ts";

const DEFINITION =
  "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/MedComHomeCareObservationMessageDefinition|1.1";

/** valueQuantity (with the UCUM code when given) or valueString. */
export function observationValue(value: HomeCareObservationValue): FhirObject {
  if (value.quantity !== undefined) {
    const q: FhirObject = {};
    if (value.quantity.comparator !== undefined) q.comparator = value.quantity.comparator;
    q.value = value.quantity.value;
    q.unit = value.quantity.unit;
    if (value.quantity.code !== undefined) {
      q.system = SYSTEMS.ucum;
      q.code = value.quantity.code;
    }
    return { valueQuantity: q };
  }
  return value.string === undefined ? {} : { valueString: value.string };
}

/**
 * A MedCom HomeCareObservation (kommunale prøvesvar). `link` makes it a correction (modified) or a
 * retraction (retract) of an earlier report; `consentGiven: false` marks the report restricted (meta.security R).
 */
export function buildHomeCareObservation(input: HomeCareObservationInput): BuiltMessage {
  const { ids } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const producerRef = reference(organization(derivedId(ids, "sender"), input.sender));
  const { practitioner, role } = practitionerAndRole(ids, input.performer, producerRef);
  const observations: FhirResource[] = input.observations.map((o, i) => {
    const coding: FhirObject = { system: o.system, code: o.code };
    if (o.display !== undefined) coding.display = o.display;
    return {
      resourceType: "Observation",
      id: derivedId(ids, `observation-${i}`),
      meta: {
        profile: ["http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/medcom-homecare-observation"],
      },
      text: narrative(`Observation ${o.code}`),
      status: "final",
      code: { coding: [coding] },
      subject: reference(subject),
      effectiveDateTime: o.effective,
      ...observationValue(o.value),
      interpretation: [{ coding: [{ system: SYSTEMS.interpretation, code: "NI" }] }],
    };
  });
  const meta: FhirObject = {
    profile: ["http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/medcom-homecare-diagnosticreport"],
  };
  if (!input.consentGiven) meta.security = [{ system: SYSTEMS.confidentiality, code: "R", display: "Restricted" }];
  const report: FhirResource = {
    resourceType: "DiagnosticReport",
    id: derivedId(ids, "diagnostic-report"),
    meta,
    text: narrative("HomeCareObservation report"),
    status: "final",
    code: { coding: [{ system: SYSTEMS.diagnosticReportCodes, code: "HomeCareReport" }] },
    subject: reference(subject),
    issued: input.issued,
    performer: [producerRef, reference(role)],
    result: observations.map(reference),
  };
  if (input.conclusion !== undefined) report.conclusion = input.conclusion;
  return buildMessage(input, profileForKind("homecare-observation"), {
    extra: [subject, report, role, practitioner, ...observations],
    focus: report,
    definition: DEFINITION,
  });
}
