import { z } from "zod";
import { AcknowledgementCode, BusinessStatus, StatusSubjectType } from "./content.ts";
import { LIFECYCLE_EVENT_TYPES } from "./events.ts";
import { MessageKind } from "./kinds.ts";
import { EndpointId } from "./registry.ts";
import { ValidationIssue } from "./validation.ts";

/**
 * Bodies of the query API (`GET /v1/messages…`, `/v1/referrals/:id`, `/v1/tasks/:id`, `/v1/stats`): what the
 * read model (packages/store) returns. Times are ISO-8601 in UTC. No patient identifier appears in any of them.
 */

/** The transport status of a message, overall or towards one receiver. */
export const MessageStatus = z.enum([
  "received",
  "routed",
  "delivered",
  "acknowledged",
  "negatively-acknowledged",
  "rejected",
  "dead-lettered",
  "duplicate",
]);
export type MessageStatus = z.infer<typeof MessageStatus>;

/** A status filter value: a MessageStatus, or `ack-overdue` for delivered messages whose acknowledgement is late. */
export const MessageStatusFilter = z.union([MessageStatus, z.literal("ack-overdue")]);
export type MessageStatusFilter = z.infer<typeof MessageStatusFilter>;

export const ErrorSummary = z.object({ code: z.string(), message: z.string() });

/** Where one message stands towards one receiver. */
export const ReceiverOutcome = z.object({
  endpoint: z.string(),
  status: MessageStatus,
  /** Highest delivery attempt seen (0 before the first). */
  attempts: z.number().int().nonnegative(),
  deliveredAt: z.string().optional(),
  acknowledgedAt: z.string().optional(),
  ackCode: AcknowledgementCode.optional(),
  /** hubId of the acknowledgement message, when the acknowledgement came as a message. */
  ackHubId: z.string().optional(),
  /** True while the acknowledgement is late (set by the ack-overdue timer, cleared by the acknowledgement). */
  ackOverdue: z.boolean(),
  /** When the acknowledgement is (or was) due: delivery time + the receiver's ackTimeoutSeconds. */
  ackDueAt: z.string().optional(),
  lastError: ErrorSummary.optional(),
  /** Added by a routing rule (e.g. the lab databank), with the rule id. */
  rule: z.string().optional(),
});
export type ReceiverOutcome = z.infer<typeof ReceiverOutcome>;

/** One step in a message's timeline: one lifecycle event, reduced to what a timeline shows. */
export const MessageHop = z.object({
  type: z.enum(LIFECYCLE_EVENT_TYPES),
  at: z.string(),
  eventId: z.string(),
  endpoint: z.string().optional(),
  attempt: z.number().int().optional(),
  /** An error or acknowledgement code, or the business status a status event names. */
  code: z.string().optional(),
  /** Short plain-language detail (an error message, a refused transition's reason). */
  detail: z.string().optional(),
  durationMs: z.number().optional(),
});
export type MessageHop = z.infer<typeof MessageHop>;

/** Links between messages, by hubId where the hub resolved them, else by the sender's message id. */
export const MessageLinks = z.object({
  inReplyTo: z.string().optional(),
  corrects: z.string().optional(),
  retracts: z.string().optional(),
  /** This message is a replay of that one. */
  replayOf: z.string().optional(),
  /** Replays of this message. */
  replayedBy: z.array(z.string()).optional(),
  /** This message is a repeat of that one (same sender message id). */
  duplicateOf: z.string().optional(),
  /** This letter was made by the hub by translating that message (a lab result for a databank). */
  translatedFrom: z.string().optional(),
  /** Letters the hub made by translating this message, one per receiver that wanted another format. */
  translatedTo: z.array(z.string()).optional(),
});
export type MessageLinks = z.infer<typeof MessageLinks>;

/** The lifecycle record of one message (`GET /v1/messages/:id`). */
export const MessageLifecycle = z.object({
  hubId: z.string(),
  messageId: z.string().optional(),
  kind: MessageKind.optional(),
  /** Registry id of the sending endpoint. */
  sender: z.string().optional(),
  receivers: z.array(z.string()),
  status: MessageStatus,
  ackOverdue: z.boolean(),
  receivedAt: z.string(),
  traceId: z.string().optional(),
  contentType: z.string().optional(),
  size: z.number().int().optional(),
  perReceiver: z.array(ReceiverOutcome),
  hops: z.array(MessageHop),
  /** How many hops were left out of `hops` to keep the record bounded (the middle of a long retry history). */
  hopsOmitted: z.number().int().nonnegative(),
  links: MessageLinks,
  rejection: z.object({ stage: z.string(), issues: z.array(ValidationIssue) }).optional(),
  deadLetter: z.object({ stage: z.string(), code: z.string(), message: z.string() }).optional(),
  /** The referral / task / appointment this message is about, when it is one of the status-bearing kinds. */
  subject: z
    .object({
      type: StatusSubjectType,
      id: z.string(),
      /** The endpoint that originated it (identity is scoped by originator). Absent in older records. */
      originator: z.string().optional(),
    })
    .optional(),
});
export type MessageLifecycle = z.infer<typeof MessageLifecycle>;

/** One line of a message listing. */
export const MessageSummary = MessageLifecycle.pick({
  hubId: true,
  messageId: true,
  kind: true,
  sender: true,
  receivers: true,
  status: true,
  ackOverdue: true,
  receivedAt: true,
});
export type MessageSummary = z.infer<typeof MessageSummary>;

/** `GET /v1/messages`: newest first; pass `nextCursor` back as `cursor` for the next page. */
export const MessagePage = z.object({
  items: z.array(MessageSummary),
  /** null when there is nothing more. A page may hold fewer than `limit` items and still have a next cursor. */
  nextCursor: z.string().nullable(),
});
export type MessagePage = z.infer<typeof MessagePage>;

/**
 * A patient filter (`patient=`): a CPR number, with or without the dash, or another patient identifier as the
 * messages carry it. The gateway turns it into the read model's keyed hash at once; it is never stored, logged
 * or written to an access record (docs/contracts.md, "Patient search").
 */
export const PatientFilter = z.string().min(1).max(64);

/**
 * Query string of `GET /v1/messages`. `from` / `to` bound the receive time (ISO-8601, inclusive); `patient`
 * finds the messages about one patient. Strict: a parameter not named here is refused (400
 * `CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN`), never ignored, so a filter the caller believes applied always is.
 */
export const MessageListQuery = z.strictObject({
  sender: EndpointId.optional(),
  receiver: EndpointId.optional(),
  kind: MessageKind.optional(),
  status: MessageStatusFilter.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  patient: PatientFilter.optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type MessageListQuery = z.infer<typeof MessageListQuery>;

/**
 * Query string of `GET /v1/referrals` and `GET /v1/tasks`: the referrals or tasks about one patient (those that
 * messages about the patient name), most recently active first. Strict like every query schema.
 */
export const EntityListQuery = z.strictObject({
  patient: PatientFilter,
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type EntityListQuery = z.infer<typeof EntityListQuery>;

/** Query string of `GET /v1/unmatched`: statuses about entities whose creating message the hub has not seen. */
export const UnmatchedListQuery = z.strictObject({
  type: z.enum(["referral", "task", "appointment"]).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
export type UnmatchedListQuery = z.infer<typeof UnmatchedListQuery>;

/** The query string of a route that takes no parameters: any parameter is refused, not ignored. */
export const NoQueryParameters = z.strictObject({});

/** How one status fact fared when the history was folded in time order. */
export const TransitionOutcome = z.enum(["applied", "repeated", "refused"]);

/** One status fact about a referral, task or appointment, in the order of `occurredAt`. */
export const BusinessHistoryEntry = z.object({
  status: BusinessStatus,
  occurredAt: z.string(),
  /** hubIds of the messages that reported it (the same fact reported twice is one entry). */
  sources: z.array(z.string()).min(1),
  outcome: TransitionOutcome,
  /** Why a refused entry was refused. */
  reason: z.string().optional(),
  /** Set when it was refused for who stated it (`CAREHUB_ERR_STATUS_NOT_A_PARTY`), not for the transition. */
  code: z.string().optional(),
  appointment: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  /** For a `planned` fact: the expected window it stated (addition, issue 12). */
  plannedWindow: z.object({ start: z.string(), end: z.string().optional() }).optional(),
});
export type BusinessHistoryEntry = z.infer<typeof BusinessHistoryEntry>;

/** A referral, task or appointment with its business state (`GET /v1/referrals/:id`, `GET /v1/tasks/:id`). */
export const BusinessEntity = z.object({
  type: StatusSubjectType,
  id: z.string(),
  /** null only when every fact so far was refused. */
  status: BusinessStatus.nullable(),
  /** occurredAt of the fact that set the current status. */
  since: z.string().optional(),
  /**
   * Registry id of the endpoint that originated the referral or task (where status changes return to): half of
   * its identity (`GET /v1/referrals/:originator/:id`). For an appointment, the originator of the referral or
   * task it was booked for. While `unmatched`, the endpoint the status was addressed to. Absent only in answers
   * from before identity was scoped.
   */
  originator: z.string().optional(),
  /** The hub has not seen the creating message: every status so far is unconfirmed (issue 9). */
  unmatched: z.boolean().optional(),
  /**
   * For an unmatched entity: the endpoints that stated or received its statuses (who may read it besides
   * operators). Absent for a matched one, which only its originator and counterparts read.
   */
  reportedAmong: z.array(z.string()).optional(),
  /** Registry ids of the endpoints the referral or task was sent to. */
  counterparts: z.array(z.string()),
  /** No status change for longer than the configured limit for this status. */
  stale: z.boolean(),
  /** The referral or task an appointment belongs to. */
  basedOn: z.object({ type: StatusSubjectType, id: z.string() }).optional(),
  /** Appointments that name this referral or task as basedOn. */
  appointments: z.array(z.string()),
  /**
   * For a referral or task: each of its appointments with its own current status and time (read at
   * `GET /v1/appointments/:originator/:id`). Addition: absent in answers from before appointments were readable.
   */
  appointmentStates: z
    .array(
      z.object({
        id: z.string(),
        status: BusinessStatus.nullable(),
        appointment: z.object({ start: z.string(), end: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  /**
   * The appointment time in force: for an appointment its own; for a referral or task the time of its latest
   * appointment that is not cancelled, deleted or a no-show (a cancelled appointment is not the booked time).
   */
  appointment: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  /**
   * The expected window of the latest applied `planned` fact (addition, issue 12): kept after the activity is
   * booked, so the agreed window stays readable next to the booked time.
   */
  plannedWindow: z.object({ start: z.string(), end: z.string().optional() }).optional(),
  history: z.array(BusinessHistoryEntry),
});
export type BusinessEntity = z.infer<typeof BusinessEntity>;

/** `GET /v1/referrals?patient=…`, `GET /v1/tasks?patient=…`: at most `limit` entities, most recently active first. */
export const EntityPage = z.object({ items: z.array(BusinessEntity) });
export type EntityPage = z.infer<typeof EntityPage>;

/** `GET /v1/stats`: message counts by status, per endpoint (as sender and as receiver) and kind. */
export const StatusCountRow = z.object({
  endpoint: z.string(),
  role: z.enum(["sender", "receiver"]),
  kind: z.string(),
  status: MessageStatusFilter,
  count: z.number().int().nonnegative(),
});
export const StatusCounts = z.object({
  items: z.array(StatusCountRow),
});
export type StatusCounts = z.infer<typeof StatusCounts>;

/** Every error answer of the HTTP API. */
export const ApiError = z.object({
  code: z.string(),
  message: z.string(),
  /** With `CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN` / `CAREHUB_ERR_QUERY_INVALID`: the parameters the route accepts. */
  acceptedParameters: z.array(z.string()).optional(),
  /** With `CAREHUB_ERR_GATEWAY_BODY_TOO_LARGE`: the largest message this hub accepts, in bytes. */
  maxBytes: z.number().int().positive().optional(),
});
export type ApiError = z.infer<typeof ApiError>;
