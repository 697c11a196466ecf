import type { EventOf, MessageKind, ValidationIssue } from "@carehub/schemas";
import type { IngressMessage } from "./ingress-message.ts";

/** What intake knows about a message when it reports on it: never anything about the patient. */
export interface EventSubject {
  ingress: IngressMessage;
  messageId?: string | undefined;
  kind?: MessageKind | undefined;
}

function base(subject: EventSubject, at: string) {
  return {
    schemaVersion: 1 as const,
    at,
    hubId: subject.ingress.hubId,
    sourceEndpoint: subject.ingress.sourceEndpoint,
    ...(subject.messageId === undefined ? {} : { messageId: subject.messageId }),
    ...(subject.kind === undefined ? {} : { kind: subject.kind }),
  };
}

/** `received`: at the time the hub received the bytes (one per INGRESS message). */
export function receivedEvent(subject: EventSubject, fallbackContentType: string): EventOf<"received"> {
  return {
    ...base(subject, subject.ingress.receivedAt),
    type: "received",
    eventId: `${subject.ingress.hubId}:received`,
    contentType: subject.ingress.contentType ?? fallbackContentType,
    size: subject.ingress.bytes.byteLength,
    ingressSeq: subject.ingress.seq,
  };
}

export function rejectedEvent(subject: EventSubject, issues: ValidationIssue[], at: Date): EventOf<"rejected"> {
  return {
    ...base(subject, at.toISOString()),
    type: "rejected",
    eventId: `${subject.ingress.hubId}:rejected`,
    stage: "intake",
    issues,
  };
}

/**
 * A message stored again on INGRESS: `hubId` is the message's (every copy has the one the ledger derives),
 * `originalHubId` the first copy's record; one event per stored copy (its INGRESS position names it).
 */
export function duplicateEvent(subject: EventSubject, originalHubId: string, at: Date): EventOf<"duplicate"> {
  return {
    ...base(subject, at.toISOString()),
    type: "duplicate",
    eventId: `${subject.ingress.hubId}:duplicate:${subject.ingress.seq}`,
    originalHubId,
  };
}

export function deadLetteredEvent(
  subject: EventSubject,
  reason: { code: string; message: string },
  attempts: number,
  at: Date,
): EventOf<"dead-lettered"> {
  return {
    ...base(subject, at.toISOString()),
    type: "dead-lettered",
    eventId: `${subject.ingress.hubId}:dead-lettered`,
    stage: "intake",
    reason,
    attempts,
  };
}
