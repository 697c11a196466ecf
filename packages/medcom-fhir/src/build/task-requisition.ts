import type { FhirResource } from "../fhir-json.ts";
import { profileForKind } from "../message-profiles.ts";
import { SYSTEMS } from "../terminology/systems.ts";
import { buildMessage, derivedId, narrative, organization, packageReference, patient, reference } from "./common.ts";
import type { BuiltMessage, TaskRequisitionInput } from "./types.ts";

/**
 * A carehub task requisition (opgaverekvisition): a Task, status requested, intent order. The receiver
 * answers with status-update messages about the Task (subject type "task", id = Task.identifier).
 */
export function buildTaskRequisition(input: TaskRequisitionInput): BuiltMessage {
  const { ids, task: t } = input;
  const subject = patient(derivedId(ids, "patient"), input.patient);
  const requester = reference(organization(derivedId(ids, "sender"), input.sender));
  const owner = reference(organization(derivedId(ids, "receiver"), input.receiver));
  const task: FhirResource = {
    resourceType: "Task",
    id: derivedId(ids, "task"),
    meta: { profile: ["https://carehub.dev/fhir/StructureDefinition/carehub-task-requisition"] },
    text: narrative(`Task requisition ${t.code}`),
    identifier: [{ system: SYSTEMS.carehubTaskId, value: t.id }],
    status: input.link?.type === "retract" ? "cancelled" : "requested",
    intent: "order",
    code: { coding: [{ system: SYSTEMS.carehubTaskCode, code: t.code }] },
  };
  if (t.packageReferralId !== undefined) task.basedOn = [packageReference(t.packageReferralId)];
  if (t.description !== undefined) task.description = t.description;
  Object.assign(task, { for: reference(subject), authoredOn: input.now, requester, owner });
  if (t.dueDate !== undefined) task.restriction = { period: { end: t.dueDate } };
  return buildMessage(input, profileForKind("task-requisition"), { extra: [subject, task], focus: task });
}
