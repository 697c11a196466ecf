import { BUSINESS_STATUS_MAP, SUBJECT_RESOURCE } from "../carehub-status.ts";
import type { FhirObject, FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { EXTENSIONS, SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, patient, reference } from "./common.ts";
import type { BuildIds, BuiltMessage, StatusSubject, StatusUpdateInput } from "./types.ts";

const ID_SYSTEM = {
  referral: SYSTEMS.carehubReferralId,
  task: SYSTEMS.carehubTaskId,
  appointment: SYSTEMS.carehubAppointmentId,
} as const;

function statusChange(input: StatusUpdateInput): FhirObject {
  const parts: FhirObject[] = [
    { url: "status", valueCoding: { system: SYSTEMS.carehubBusinessStatus, code: input.status } },
    { url: "occurredAt", valueDateTime: input.occurredAt },
  ];
  if (input.reason !== undefined) parts.push({ url: "reason", valueString: input.reason });
  if (input.plannedWindow !== undefined) parts.push({ url: "plannedWindow", valuePeriod: { ...input.plannedWindow } });
  return { url: EXTENSIONS.statusChange, extension: parts };
}

/** A minimal stand-in for the referral / task an appointment was booked for: just its business id. */
function stub(ids: BuildIds, subject: StatusSubject): FhirResource {
  const base: FhirResource = {
    resourceType: SUBJECT_RESOURCE[subject.type],
    id: derivedId(ids, `based-on-${subject.type}`),
    text: narrative(`${subject.type} ${subject.id}`),
    identifier: [{ system: ID_SYSTEM[subject.type], value: subject.id }],
  };
  // Status and intent are required in R4; "unknown" says this message does not state them.
  if (subject.type === "referral") Object.assign(base, { status: "unknown", intent: "order" });
  else if (subject.type === "task") Object.assign(base, { status: "requested", intent: "unknown" });
  return base;
}

/**
 * A carehub status update about a referral (ServiceRequest), a task (Task) or an appointment (Appointment).
 * The resource carries its FHIR status (mapped) and the exact carehub business status in the
 * carehub-status-change extension (status, occurredAt, reason).
 */
export function buildStatusUpdate(input: StatusUpdateInput): BuiltMessage {
  const { ids, subject: s } = input;
  const subject = input.patient === undefined ? undefined : patient(derivedId(ids, "patient"), input.patient);
  const mapped = BUSINESS_STATUS_MAP[input.status];
  const focus: FhirResource = {
    resourceType: SUBJECT_RESOURCE[s.type],
    id: derivedId(ids, `subject-${s.type}`),
    meta: { profile: [`https://carehub.dev/fhir/StructureDefinition/carehub-status-${s.type}`] },
    text: narrative(`${s.type} status ${input.status}`),
    extension: [statusChange(input)],
    identifier: [{ system: ID_SYSTEM[s.type], value: s.id }],
  };
  const extra: FhirResource[] = [];
  if (s.type === "referral") {
    Object.assign(focus, { status: mapped.serviceRequest, intent: "order" });
    if (subject !== undefined) focus.subject = reference(subject);
  } else if (s.type === "task") {
    Object.assign(focus, {
      status: mapped.task,
      businessStatus: { coding: [{ system: SYSTEMS.carehubBusinessStatus, code: input.status }] },
      intent: "order",
    });
    if (subject !== undefined) focus.for = reference(subject);
    focus.lastModified = input.occurredAt;
  } else {
    const based = input.basedOn === undefined ? undefined : stub(ids, input.basedOn);
    if (based !== undefined && input.basedOn?.type === "task")
      (focus.extension as FhirObject[]).push({ url: EXTENSIONS.basedOnTask, valueReference: reference(based) });
    focus.status = mapped.appointment;
    if (based !== undefined && input.basedOn?.type === "referral") focus.basedOn = [reference(based)];
    if (input.appointment !== undefined) {
      focus.start = input.appointment.start;
      if (input.appointment.end !== undefined) focus.end = input.appointment.end;
    }
    const participant: FhirObject[] = [];
    if (subject !== undefined) participant.push({ actor: reference(subject), status: "accepted" });
    focus.participant =
      participant.length > 0 ? participant : [{ type: [{ text: "patient" }], status: "needs-action" }];
    if (based !== undefined) extra.push(based);
  }
  return buildMessage(input, profileForKind("status-update"), {
    extra: [...(subject === undefined ? [] : [subject]), focus, ...extra],
    focus,
  });
}
