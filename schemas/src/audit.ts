import { z } from "zod";

/**
 * The access audit trail of the query API (docs/decisions/0012-access-audit-trail.md): one AuditRecord per
 * query request — read, listed, refused — on the AUDIT stream (`<ns>.audit.>`). It answers "who looked at
 * what, when, and were they allowed" years later, so it names callers and resources by their ids and never
 * holds a patient identifier: a patient filter is kept only as the keyed hash the read model files patients
 * under.
 */

/** What the request tried to do: `<resource>.<verb>`. */
export const AUDIT_ACTIONS = [
  "message.read",
  "message.list",
  "referral.read",
  "referral.list",
  "task.read",
  "task.list",
  "stats.read",
  "appointment.read",
  "unmatched.list",
  "patient.overview",
  "course.read",
  "care-list.list",
  "message.payload",
  "message.rerun",
  /** An operator's re-send of delivered (e.g. ack-overdue) messages to one receiver (docs/decisions/0072). */
  "message.resend",
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/**
 * Who asked: an operator or an endpoint by its registry id, or `anonymous` for a call refused as
 * unauthenticated (`credential` says whether it brought no token or one that matches nobody; the token itself
 * is never recorded).
 */
export const AuditActor = z.discriminatedUnion("type", [
  z.object({ type: z.literal("operator"), id: z.string().min(1) }),
  z.object({ type: z.literal("endpoint"), id: z.string().min(1) }),
  z.object({ type: z.literal("anonymous"), credential: z.enum(["none", "unknown-token"]) }),
]);
export type AuditActor = z.infer<typeof AuditActor>;

/**
 * A resource asked for or returned: a message by hub id, a referral, task or appointment by `<originator>/<id>`
 * (or by its bare id when asked for without its originator), a package course by `<originator>:<referral id>`.
 */
export const AuditResource = z.object({
  type: z.enum(["message", "referral", "task", "appointment", "course"]),
  id: z.string(),
});
export type AuditResource = z.infer<typeof AuditResource>;

/**
 * The query parameters of a request as the gateway applied them, after validation (docs/contracts.md, "Access
 * records"): the filters of an answered listing, values as validated, with a patient filter only as the keyed
 * hash the read model files the patient under. Cursor and limit are left out (they say nothing about what was
 * looked at). A request refused for its parameters applied nothing: its record names only the unknown
 * parameters (their names, scrubbed of CPR numbers; never their values).
 */
export const AuditQuery = z.object({
  sender: z.string().optional(),
  receiver: z.string().optional(),
  kind: z.string().optional(),
  status: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  /** The worklist of `GET /v1/care-lists`, its endpoint and its age in days. */
  list: z.string().optional(),
  endpoint: z.string().optional(),
  days: z.string().optional(),
  /** HMAC-SHA256(CAREHUB_PATIENT_HASH_KEY, CPR digits), base64url: the applied patient filter, never the CPR. */
  patientHash: z.string().optional(),
  /** Names of query parameters the route does not accept; the request was refused and nothing was applied. */
  otherParameters: z.array(z.string()).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/**
 * How the request ended. `result` says it as the audit needs it, which is not always what the caller saw: an
 * endpoint that asks for another's message gets the same 404 as for a missing one, and the record says
 * `denied`.
 */
export const AuditOutcome = z.object({
  /** The HTTP status answered. */
  status: z.number().int(),
  result: z.enum(["ok", "denied", "not-found", "invalid", "unauthenticated", "failed"]),
  /** Items returned (a listing's page, 1 for a read, stats rows); 0 when refused. */
  count: z.number().int().nonnegative(),
  /** The `CAREHUB_ERR_*` code answered, when the request was refused or failed. */
  code: z.string().optional(),
});
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditRecord = z.object({
  schemaVersion: z.literal(1),
  /** A UUIDv7, also the record's dedup id (`Nats-Msg-Id`) on the AUDIT stream. */
  id: z.string().min(1),
  /** When the answer was decided (ISO-8601, UTC). */
  at: z.iso.datetime({ offset: true }),
  actor: AuditActor,
  action: AuditAction,
  /** Resources returned or asked for (hub ids, referral / task ids); empty for stats and refused listings. */
  resources: z.array(AuditResource),
  /** The applied filters of a listing, or the unknown parameters of a request refused for them. */
  query: AuditQuery.optional(),
  outcome: AuditOutcome,
  request: z.object({
    /** The gateway's request id, also answered as the `Carehub-Request-Id` header. */
    id: z.string(),
    method: z.string(),
    remoteAddress: z.string().optional(),
    userAgent: z.string().optional(),
  }),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
