import type { Envelope, EventOf, ValidationIssue } from "@carehub/schemas";
import type { AcknowledgementMatch, RouteDelivery } from "./route-resolver.ts";

export type RouterEvent =
  | EventOf<"routed">
  | EventOf<"translated">
  | EventOf<"rejected">
  | EventOf<"acknowledged">
  | EventOf<"dead-lettered">;

function base(envelope: Envelope, at: Date) {
  return {
    schemaVersion: 1 as const,
    at: at.toISOString(),
    hubId: envelope.hubId,
    messageId: envelope.messageId,
    sourceEndpoint: envelope.sourceEndpoint,
    kind: envelope.kind,
  };
}

/** One `routed` event per message: every receiver, which of them a rule added, and the links it states. */
export function routedEvent(envelope: Envelope, deliveries: readonly RouteDelivery[], at: Date): EventOf<"routed"> {
  const { inReplyTo, corrects, retracts } = envelope.links;
  const links = {
    ...(inReplyTo === undefined ? {} : { inReplyTo: inReplyTo.messageId }),
    ...(corrects === undefined ? {} : { corrects: corrects.messageId }),
    ...(retracts === undefined ? {} : { retracts: retracts.messageId }),
  };
  return {
    ...base(envelope, at),
    type: "routed",
    eventId: `${envelope.hubId}:routed`,
    receivers: deliveries.map((d) => d.endpoint),
    ruleCopies: deliveries.flatMap((d) => (d.via === "addressed" ? [] : [{ endpoint: d.endpoint, rule: d.via.rule }])),
    ackRequested: envelope.ackRequested,
    ...(Object.keys(links).length === 0 ? {} : { links }),
  };
}

export function rejectedEvent(envelope: Envelope, issues: ValidationIssue[], at: Date): EventOf<"rejected"> {
  return { ...base(envelope, at), type: "rejected", eventId: `${envelope.hubId}:rejected`, stage: "router", issues };
}

/**
 * `acknowledged`, about the ORIGINAL message: its hub id, id and sender; `endpoint` is the one that
 * acknowledged, `ackHubId` the acknowledgement itself (also in the event id, so a second answer from the
 * same endpoint — transient-error, then ok — is a fact of its own).
 */
export function acknowledgedEvent(
  ack: Envelope,
  match: AcknowledgementMatch & { originalHubId: string },
  at: Date,
): EventOf<"acknowledged"> {
  return {
    schemaVersion: 1,
    at: at.toISOString(),
    type: "acknowledged",
    eventId: `${match.originalHubId}:acknowledged:${ack.sourceEndpoint}:${ack.hubId}`,
    hubId: match.originalHubId,
    messageId: match.respondsTo,
    sourceEndpoint: match.originalSender,
    endpoint: ack.sourceEndpoint,
    code: match.code,
    ackHubId: ack.hubId,
  };
}

export function routerDeadLetteredEvent(
  subject: {
    hubId: string;
    messageId?: string | undefined;
    sourceEndpoint?: string | undefined;
    kind?: Envelope["kind"] | undefined;
  },
  reason: { code: string; message: string },
  attempts: number,
  at: Date,
): EventOf<"dead-lettered"> {
  return {
    schemaVersion: 1,
    at: at.toISOString(),
    type: "dead-lettered",
    eventId: `${subject.hubId}:dead-lettered:router`,
    hubId: subject.hubId,
    ...(subject.messageId === undefined ? {} : { messageId: subject.messageId }),
    ...(subject.sourceEndpoint === undefined ? {} : { sourceEndpoint: subject.sourceEndpoint }),
    ...(subject.kind === undefined ? {} : { kind: subject.kind }),
    stage: "router",
    reason,
    attempts,
  };
}
