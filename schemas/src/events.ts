import { z } from "zod";
import { AcknowledgementCode, BusinessStatus, StatusSubjectType } from "./content.ts";
import { MessageKind } from "./kinds.ts";
import { ValidationIssue } from "./validation.ts";

/**
 * Lifecycle events on the EVENTS stream (subject `<ns>.events.<type>`). Each carries enough for a live
 * console line and for the tracker to fold into the read model without reading any other stream.
 * No patient identifier ever appears in an event.
 */
const base = {
  schemaVersion: z.literal(1),
  /** Unique and deterministic per fact (used as the Nats-Msg-Id), so a re-published event is stored once. */
  eventId: z.string(),
  at: z.string(),
  hubId: z.string(),
  /** The sender's message id. */
  messageId: z.string().optional(),
  /** The sending endpoint's registry id. */
  sourceEndpoint: z.string().optional(),
  kind: MessageKind.optional(),
  traceId: z.string().optional(),
};

export const ReceivedEvent = z.object({
  ...base,
  type: z.literal("received"),
  contentType: z.string(),
  size: z.number().int(),
  ingressSeq: z.number().int().optional(),
});
export const RejectedEvent = z.object({
  ...base,
  type: z.literal("rejected"),
  stage: z.enum(["gateway", "intake", "router"]),
  issues: z.array(ValidationIssue).min(1),
});
export const RoutedEvent = z.object({
  ...base,
  type: z.literal("routed"),
  receivers: z.array(z.string()).min(1),
  /** Receivers added by routing rules (e.g. the lab databank), with the rule id. */
  ruleCopies: z.array(z.object({ endpoint: z.string(), rule: z.string() })).default([]),
  /**
   * Whether the sender asked for an acknowledgement (the envelope's `ackRequested`; false e.g. for an OIOXML
   * letter with `minuspositivkvitt`, or an acknowledgement). No ack-overdue is raised when false. Addition:
   * absent in events from before it was carried.
   */
  ackRequested: z.boolean().optional(),
  links: z
    .object({ inReplyTo: z.string().optional(), corrects: z.string().optional(), retracts: z.string().optional() })
    .optional(),
  /**
   * Set on the routing of a letter the hub made by translating another message (a practice's FHIR lab result
   * → XRPT01 for a lab databank): the hub id of that source message. Addition.
   */
  translatedFrom: z.string().optional(),
});
/**
 * The hub translated this message (`hubId`, the source) into a letter of another format for one receiver (a lab
 * databank with `delivery.format: oioxml`). The letter is a message of its own, `letterHubId`, whose `routed` event
 * names this one in `translatedFrom`.
 */
export const TranslatedEvent = z.object({
  ...base,
  type: z.literal("translated"),
  endpoint: z.string(),
  letterHubId: z.string(),
  /** The letter's own id (OIOXML Letter/Identifier). */
  letterId: z.string(),
  /** e.g. XRPT01. */
  letterType: z.string(),
  /** The routing rule that sent the copy, when a rule did. */
  rule: z.string().optional(),
});
export const DeliveredEvent = z.object({
  ...base,
  type: z.literal("delivered"),
  endpoint: z.string(),
  attempt: z.number().int().positive(),
  durationMs: z.number().nonnegative(),
});
export const DeliveryFailedEvent = z.object({
  ...base,
  type: z.literal("delivery-failed"),
  endpoint: z.string(),
  attempt: z.number().int().positive(),
  error: z.object({ code: z.string(), message: z.string() }),
  nextAttemptInMs: z.number().nonnegative().optional(),
});
export const DeadLetteredEvent = z.object({
  ...base,
  type: z.literal("dead-lettered"),
  endpoint: z.string().optional(),
  stage: z.string(),
  reason: z.object({ code: z.string(), message: z.string() }),
  attempts: z.number().int().nonnegative(),
});
export const AcknowledgedEvent = z.object({
  ...base,
  type: z.literal("acknowledged"),
  /** The endpoint that acknowledged (the original receiver). */
  endpoint: z.string(),
  code: AcknowledgementCode,
  /** hubId of the acknowledgement message itself, when it came as a message. */
  ackHubId: z.string().optional(),
});
export const AckOverdueEvent = z.object({
  ...base,
  type: z.literal("ack-overdue"),
  endpoint: z.string(),
  dueAt: z.string(),
});
/**
 * What a business status is about: a referral, task or appointment is identified by its id together with the
 * endpoint that originated it (two practices may both use `ref-0001`). `originator` is absent in events from
 * before identity was scoped.
 */
export const SubjectRef = z.object({ type: StatusSubjectType, id: z.string(), originator: z.string().optional() });

export const StatusChangedEvent = z.object({
  ...base,
  type: z.literal("status-changed"),
  subject: SubjectRef,
  from: BusinessStatus.nullable(),
  to: BusinessStatus,
  occurredAt: z.string(),
});
export const TransitionRefusedEvent = z.object({
  ...base,
  type: z.literal("transition-refused"),
  subject: SubjectRef,
  from: BusinessStatus.nullable(),
  to: BusinessStatus,
  reason: z.string(),
  /**
   * Set when the fact was refused for who stated it rather than for the transition
   * (`CAREHUB_ERR_STATUS_NOT_A_PARTY`: its sender has no part in the entity). Addition.
   */
  code: z.string().optional(),
});
/**
 * A status about a referral, task or appointment whose creating message the hub has not seen. Kept (the hub
 * does not always see the referral), and flagged: an operator lists them with `GET /v1/referrals?unmatched=true`.
 */
export const UnmatchedStatusEvent = z.object({
  ...base,
  type: z.literal("unmatched-status"),
  subject: SubjectRef,
  status: BusinessStatus,
  /** Registry id of the endpoint that stated it. */
  reportedBy: z.string(),
  occurredAt: z.string(),
});
export const StaleEvent = z.object({
  ...base,
  type: z.literal("stale"),
  subject: SubjectRef,
  status: BusinessStatus,
  since: z.string(),
});
export const DuplicateEvent = z.object({
  ...base,
  type: z.literal("duplicate"),
  /** hubId of the first copy. */
  originalHubId: z.string(),
});
export const ReplayedEvent = z.object({
  ...base,
  type: z.literal("replayed"),
  originalHubId: z.string(),
  reason: z.string(),
});

export const LifecycleEvent = z.discriminatedUnion("type", [
  ReceivedEvent,
  RejectedEvent,
  RoutedEvent,
  TranslatedEvent,
  DeliveredEvent,
  DeliveryFailedEvent,
  DeadLetteredEvent,
  AcknowledgedEvent,
  AckOverdueEvent,
  StatusChangedEvent,
  TransitionRefusedEvent,
  UnmatchedStatusEvent,
  StaleEvent,
  DuplicateEvent,
  ReplayedEvent,
]);
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;
export type LifecycleEventType = LifecycleEvent["type"];
export type EventOf<T extends LifecycleEventType> = Extract<LifecycleEvent, { type: T }>;

/** Every lifecycle event type, in the order of a message's life (a timeline or a filter can list them). */
export const LIFECYCLE_EVENT_TYPES = [
  "received",
  "rejected",
  "duplicate",
  "routed",
  "translated",
  "delivered",
  "delivery-failed",
  "dead-lettered",
  "acknowledged",
  "ack-overdue",
  "status-changed",
  "transition-refused",
  "unmatched-status",
  "stale",
  "replayed",
] as const satisfies readonly LifecycleEventType[];
// Fails to compile when a new event type is added to the union but not to the list above.
const everyEventTypeListed: LifecycleEventType extends (typeof LIFECYCLE_EVENT_TYPES)[number] ? true : never = true;
void everyEventTypeListed;

/** The fields of an event that tell whether it marks a message's arrival (see `marksArrival`). */
export interface ArrivalFields {
  type: string;
  stage?: string | undefined;
  translatedFrom?: string | undefined;
}

/**
 * Whether this event is the one that counts a message the hub received (once per message). Intake publishes
 * `received` only for a message no envelope follows (rejected, repeat, dead-lettered); one that reaches PIPELINE
 * is counted by the router's outcome for it: its `routed` event (not for a letter the hub made by translation,
 * `translatedFrom`) or its `rejected` at the router. A message the router neither routes nor rejects (an
 * acknowledgement addressed to the hub itself) is not counted.
 */
export function marksArrival(event: ArrivalFields): boolean {
  switch (event.type) {
    case "received":
      return true;
    case "routed":
      return event.translatedFrom === undefined;
    case "rejected":
      return event.stage === "router";
    default:
      return false;
  }
}
