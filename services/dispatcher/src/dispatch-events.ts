import type { EventOf, MessageKind } from "@carehub/schemas";
import { MESSAGE_KINDS } from "@carehub/schemas";
import type { OutboxHeaders } from "./outbox-message.ts";

/** Publishes one lifecycle event (subject `<ns>.events.<type>`, dedup id = eventId). */
export type EventSink = (event: DispatchEvent) => Promise<void>;

export type DispatchEvent =
  | EventOf<"delivered">
  | EventOf<"delivery-failed">
  | EventOf<"dead-lettered">
  | EventOf<"replayed">;

const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);

function base(message: OutboxHeaders, at: Date) {
  return {
    schemaVersion: 1 as const,
    at: at.toISOString(),
    hubId: message.hubId,
    messageId: message.messageId,
    sourceEndpoint: message.sourceEndpoint,
    ...(KINDS.has(message.kind) ? { kind: message.kind as MessageKind } : {}),
  };
}

export function deliveredEvent(
  message: OutboxHeaders,
  endpoint: string,
  attempt: number,
  durationMs: number,
  at: Date,
): EventOf<"delivered"> {
  return {
    ...base(message, at),
    type: "delivered",
    // An operator's re-send is a delivery of its own (docs/decisions/0072): its own event, not the first one's.
    eventId: `${message.hubId}:delivered:${endpoint}${message.resend === undefined ? "" : `:resend-${message.resend}`}`,
    endpoint,
    attempt,
    durationMs: Math.max(0, Math.round(durationMs)),
  };
}

export function deliveryFailedEvent(
  message: OutboxHeaders,
  endpoint: string,
  attempt: number,
  error: { code: string; message: string },
  nextAttemptInMs: number | undefined,
  at: Date,
): EventOf<"delivery-failed"> {
  return {
    ...base(message, at),
    type: "delivery-failed",
    eventId: `${message.hubId}:delivery-failed:${endpoint}:${attempt}`,
    endpoint,
    attempt,
    error,
    ...(nextAttemptInMs === undefined ? {} : { nextAttemptInMs }),
  };
}

/** `copy` (the OUTBOX sequence of the copy that died) keeps the event of a re-driven copy's death distinct. */
export function deadLetteredEvent(
  message: OutboxHeaders,
  endpoint: string,
  reason: { code: string; message: string },
  attempts: number,
  copy: number,
  at: Date,
): EventOf<"dead-lettered"> {
  return {
    ...base(message, at),
    type: "dead-lettered",
    eventId: `${message.hubId}:dead-lettered:${endpoint}:${copy}`,
    endpoint,
    stage: "dispatcher",
    reason,
    attempts,
  };
}
