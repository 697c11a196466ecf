import type { AcknowledgementCode } from "@carehub/schemas";

/** What the simulated endpoints did, as they saw it (the hub's own view is in its query API). */
export interface SimulationStats {
  planned: number;
  sent: number;
  sentByKind: Record<string, number>;
  invalidSent: number;
  duplicatesSent: number;
  statusUpdatesSent: number;
  /** The hub answered "duplicate" (a repeat of a message id it already had). */
  hubDuplicates: number;
  sendErrors: Record<string, number>;
  resends: number;
  gaveUp: number;
  received: number;
  receivedByKind: Record<string, number>;
  duplicatesDropped: number;
  invalidReceived: number;
  acksSent: Record<AcknowledgementCode, number>;
  acksReceived: Record<AcknowledgementCode, number>;
  /** Deliveries an endpoint refused on purpose (down) or took without acknowledging (never-ack). */
  refusedWhileDown: number;
  /** Deliveries refused with a 400 (misbehaviour `refuse`): the hub dead-letters them. */
  refusedOnPurpose: number;
  unacknowledgedOnPurpose: number;
  /**
   * Webhook deliveries refused with 401 because their Standard Webhooks signature did not verify (forged, or
   * signed with a secret the endpoint does not hold). 0 in a healthy demo.
   */
  forgedRefused: number;
  /** How far the sender is behind the offered rate. */
  behind: number;
}

export function emptyStats(): SimulationStats {
  return {
    planned: 0,
    sent: 0,
    sentByKind: {},
    invalidSent: 0,
    duplicatesSent: 0,
    statusUpdatesSent: 0,
    hubDuplicates: 0,
    sendErrors: {},
    resends: 0,
    gaveUp: 0,
    received: 0,
    receivedByKind: {},
    duplicatesDropped: 0,
    invalidReceived: 0,
    acksSent: { ok: 0, "transient-error": 0, "fatal-error": 0 },
    acksReceived: { ok: 0, "transient-error": 0, "fatal-error": 0 },
    refusedWhileDown: 0,
    refusedOnPurpose: 0,
    unacknowledgedOnPurpose: 0,
    forgedRefused: 0,
    behind: 0,
  };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
