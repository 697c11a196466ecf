import { type BusinessStatus, type ContentOf, ReferralCategory } from "@carehub/schemas";
import { isBusinessStatus, SUBJECT_RESOURCE } from "../carehub-status.ts";
import { type FhirObject, firstCode, obj, objects, str } from "../fhir-json.ts";
import type { IndexedEntry } from "../read/bundle-index.ts";
import { checkDateTime } from "../read/date-time.ts";
import { EXTENSIONS, SYSTEMS } from "../terminology/systems.ts";
import { checkTime } from "./check-time.ts";
import type { ReadContext } from "./context.ts";

/** The codes of carehub's referral-category CodeSystem: the categories the schemas know. */
const REFERRAL_CATEGORIES: ReadonlySet<string> = new Set(ReferralCategory.options);

/** The business id: the identifier in carehub's naming system for that resource, else the first one. */
function businessId(resource: FhirObject, system: string): string | undefined {
  const ids = objects(resource, "identifier").map((x) => x.value);
  return str(ids.find((i) => str(i, "system") === system) ?? ids[0], "value");
}

/**
 * The package referral a referral or task names in `basedOn`: a logical reference (identifier in carehub's
 * referral-id naming system). Other `basedOn` references are not about a package course and are ignored.
 */
function packageReferralOf(resource: FhirObject): string | undefined {
  for (const { value } of objects(resource, "basedOn")) {
    const identifier = obj(value, "identifier");
    if (str(identifier, "system") === SYSTEMS.carehubReferralId) return str(identifier, "value");
  }
  return undefined;
}

export function readReferral(ctx: ReadContext): ContentOf<"referral"> | undefined {
  const { focus, issues } = ctx;
  if (focus === undefined) return undefined;
  const r = focus.resource;
  const referralId = businessId(r, SYSTEMS.carehubReferralId);
  if (referralId === undefined)
    issues.error("CAREHUB_ERR_FHIR_REFERRAL_ID_MISSING", `${focus.path}.identifier`, "the referral has no identifier");
  let category: string | undefined;
  for (const { value } of objects(r, "category")) category ??= firstCode(value, SYSTEMS.carehubReferralCategory);
  if (category === undefined || !REFERRAL_CATEGORIES.has(category))
    issues.error(
      "CAREHUB_ERR_FHIR_REFERRAL_CATEGORY",
      `${focus.path}.category`,
      "the referral category must be a code from the carehub referral-category CodeSystem",
    );
  const content: ContentOf<"referral"> = {
    kind: "referral",
    referralId: referralId ?? "",
    category: (category !== undefined && REFERRAL_CATEGORIES.has(category)
      ? category
      : "other") as ContentOf<"referral">["category"],
  };
  const priority = str(r, "priority");
  if (priority !== undefined) content.priority = priority;
  const packageReferralId = packageReferralOf(r);
  if (packageReferralId !== undefined) content.packageReferralId = packageReferralId;
  const reason = objects(r, "reasonCode")[0]?.value;
  const reasonCode = firstCode(reason);
  if (reasonCode !== undefined) content.reasonCode = reasonCode;
  checkTime(str(r, "authoredOn"), `${focus.path}.authoredOn`, "ServiceRequest.authoredOn", issues);
  return content;
}

export function readTaskRequisition(ctx: ReadContext): ContentOf<"task-requisition"> | undefined {
  const { focus, issues } = ctx;
  if (focus === undefined) return undefined;
  const t = focus.resource;
  const taskId = businessId(t, SYSTEMS.carehubTaskId);
  if (taskId === undefined)
    issues.error("CAREHUB_ERR_FHIR_TASK_ID_MISSING", `${focus.path}.identifier`, "the task has no identifier");
  const code = firstCode(obj(t, "code"));
  if (code === undefined)
    issues.error("CAREHUB_ERR_FHIR_TASK_CODE_MISSING", `${focus.path}.code`, "the task has no code");
  const content: ContentOf<"task-requisition"> = { kind: "task-requisition", taskId: taskId ?? "", code: code ?? "" };
  const description = str(t, "description");
  if (description !== undefined) content.description = description;
  const packageReferralId = packageReferralOf(t);
  if (packageReferralId !== undefined) content.packageReferralId = packageReferralId;
  const dueDate = checkTime(
    str(obj(obj(t, "restriction"), "period"), "end"),
    `${focus.path}.restriction.period.end`,
    "Task.restriction.period.end",
    issues,
  );
  if (dueDate !== undefined) content.dueDate = dueDate;
  return content;
}

export function readNotification(ctx: ReadContext): ContentOf<"notification"> | undefined {
  const { focus, issues } = ctx;
  if (focus === undefined) return undefined;
  const topicConcept = obj(focus.resource, "topic");
  const topic = str(topicConcept, "text") ?? firstCode(topicConcept);
  if (topic === undefined || topic.trim() === "")
    issues.error("CAREHUB_ERR_FHIR_NOTIFICATION_TOPIC_MISSING", `${focus.path}.topic`, "the notification has no topic");
  const content: ContentOf<"notification"> = { kind: "notification", topic: topic ?? "" };
  const expiresAt = readExpiry(ctx, focus);
  if (expiresAt !== undefined) content.expiresAt = expiresAt;
  return content;
}

/** The notification's expiry: an instant (date, time and zone), normalised to UTC ISO; anything less is an error. */
function readExpiry(ctx: ReadContext, focus: IndexedEntry): string | undefined {
  const extension = objects(focus.resource, "extension").find(
    ({ value }) => str(value, "url") === EXTENSIONS.notificationExpires,
  );
  if (extension === undefined) return undefined;
  const value = str(extension.value, "valueDateTime");
  if (value === undefined || checkDateTime(value, true) !== "ok") {
    ctx.issues.error(
      "CAREHUB_ERR_FHIR_DATETIME_INVALID",
      `${focus.path}.extension`,
      "the notification's expiry is not a dateTime with a time and a zone",
    );
    return undefined;
  }
  return new Date(value).toISOString();
}

function subjectTypeOf(resourceType: string): "referral" | "task" | "appointment" | undefined {
  if (resourceType === SUBJECT_RESOURCE.referral) return "referral";
  if (resourceType === SUBJECT_RESOURCE.task) return "task";
  if (resourceType === SUBJECT_RESOURCE.appointment) return "appointment";
  return undefined;
}

const ID_SYSTEM = {
  referral: SYSTEMS.carehubReferralId,
  task: SYSTEMS.carehubTaskId,
  appointment: SYSTEMS.carehubAppointmentId,
} as const;

interface StatusChange {
  status?: string;
  occurredAt?: string;
  reason?: string;
  /** The expected window of a `planned` status (a Period). */
  plannedWindow?: { start?: string; end?: string };
}

function statusChange(resource: FhirObject): StatusChange {
  const ext = objects(resource, "extension").find(({ value }) => str(value, "url") === EXTENSIONS.statusChange)?.value;
  const out: StatusChange = {};
  for (const { value } of objects(ext, "extension")) {
    const url = str(value, "url");
    if (url === "status") {
      const code = str(obj(value, "valueCoding"), "code");
      if (code !== undefined) out.status = code;
    } else if (url === "occurredAt") {
      const at = str(value, "valueDateTime");
      if (at !== undefined) out.occurredAt = at;
    } else if (url === "reason") {
      const reason = str(value, "valueString");
      if (reason !== undefined) out.reason = reason;
    } else if (url === "plannedWindow") {
      const period = obj(value, "valuePeriod");
      out.plannedWindow = { start: str(period, "start"), end: str(period, "end") };
    }
  }
  return out;
}

function basedOnOf(ctx: ReadContext, appointment: IndexedEntry): ContentOf<"status-update">["basedOn"] {
  for (const { value } of objects(appointment.resource, "basedOn")) {
    const target = ctx.bundle.resolveRef(value, "ServiceRequest");
    const id = target === undefined ? undefined : businessId(target.resource, SYSTEMS.carehubReferralId);
    if (id !== undefined) return { type: "referral", id };
  }
  const ext = objects(appointment.resource, "extension").find(
    ({ value }) => str(value, "url") === EXTENSIONS.basedOnTask,
  );
  const task = ext === undefined ? undefined : ctx.bundle.resolveRef(obj(ext.value, "valueReference"), "Task");
  const id = task === undefined ? undefined : businessId(task.resource, SYSTEMS.carehubTaskId);
  return id === undefined ? undefined : { type: "task", id };
}

export function readStatusUpdate(ctx: ReadContext): ContentOf<"status-update"> | undefined {
  const { focus, issues } = ctx;
  if (focus === undefined) return undefined;
  const type = subjectTypeOf(focus.resource.resourceType);
  if (type === undefined) return undefined;
  const id = businessId(focus.resource, ID_SYSTEM[type]);
  if (id === undefined)
    issues.error("CAREHUB_ERR_FHIR_STATUS_SUBJECT", `${focus.path}.identifier`, `the ${type} has no identifier`);
  const change = statusChange(focus.resource);
  if (!isBusinessStatus(change.status))
    issues.error(
      "CAREHUB_ERR_FHIR_STATUS_UNKNOWN",
      `${focus.path}.extension`,
      "the carehub-status-change extension must carry a carehub business status",
    );
  const occurredAt = checkTime(change.occurredAt, `${focus.path}.extension`, "the status change time", issues);
  if (change.occurredAt === undefined)
    issues.error(
      "CAREHUB_ERR_FHIR_STATUS_OCCURRED_AT",
      `${focus.path}.extension`,
      "the status change has no occurredAt",
    );
  const content: ContentOf<"status-update"> = {
    kind: "status-update",
    subject: { type, id: id ?? "" },
    status: (isBusinessStatus(change.status) ? change.status : "received") as BusinessStatus,
    occurredAt: occurredAt ?? "",
  };
  if (change.reason !== undefined) content.reason = change.reason;
  const window = plannedWindowOf(change, focus.path, issues);
  if (window !== undefined) content.plannedWindow = window;
  if (type === "appointment") {
    const start = checkTime(str(focus.resource, "start"), `${focus.path}.start`, "Appointment.start", issues);
    const end = checkTime(str(focus.resource, "end"), `${focus.path}.end`, "Appointment.end", issues);
    if (start !== undefined) content.appointment = end === undefined ? { start } : { start, end };
    else if (change.status === "booked" || change.status === "rescheduled")
      issues.error(
        "CAREHUB_ERR_FHIR_STATUS_APPOINTMENT_START",
        `${focus.path}.start`,
        "a booked or rescheduled appointment must have a start",
      );
    const basedOn = basedOnOf(ctx, focus);
    if (basedOn !== undefined) content.basedOn = basedOn;
  }
  return content;
}

/** The expected window of a `planned` status: its start is required (a plan without a window is no plan). */
function plannedWindowOf(
  change: StatusChange,
  path: string,
  issues: ReadContext["issues"],
): { start: string; end?: string } | undefined {
  if (change.plannedWindow === undefined) return undefined;
  const where = `${path}.extension`;
  const start = checkTime(change.plannedWindow.start, where, "the planned window start", issues);
  const end = checkTime(change.plannedWindow.end, where, "the planned window end", issues);
  if (start === undefined) return undefined;
  return end === undefined ? { start } : { start, end };
}
