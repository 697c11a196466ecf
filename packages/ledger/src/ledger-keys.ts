/**
 * Every Redis key of the message ledger, spelled once (docs/contracts.md "Redis keys"). Every key starts with
 * `<ns>:`; message ids are the senders' own, scoped by the sending endpoint so two senders never collide.
 */
export interface LedgerKeys {
  /** The first copy of a sender's message: JSON {hubId, seq} (older records: the bare hub id). */
  messageId(endpoint: string, messageId: string): string;
  /** The acknowledgement the hub itself made for a message (a negative acknowledgement from intake or router). */
  hubAcknowledgement(hubId: string): string;
  /** The receiver's acknowledgement of a message, as the router relayed it to the sender. */
  relayedAcknowledgement(hubId: string): string;
  /** Set when the router sends a message TO an endpoint; value: its hub id. Loop detection. */
  received(endpoint: string, messageId: string): string;
  /** Set once a message is routed: JSON array of the endpoint ids it was sent to ([] when rejected). */
  routed(hubId: string): string;
  /** Set once a message reached a receiver: no double delivery, and the ordering of corrections. */
  delivered(endpoint: string, hubId: string): string;
  /** Set when a message was dead-lettered at a receiver (cleared on delivery): what waits for it gives up. */
  deadLettered(endpoint: string, hubId: string): string;
  /** The attempts of a message at a receiver (hash: copy, attempts, total, a:<n> = attempt record). */
  attempts(endpoint: string, hubId: string): string;
}

export function ledgerKeys(ns: string): LedgerKeys {
  return {
    messageId: (endpoint, messageId) => `${ns}:msgid:${endpoint}:${messageId}`,
    hubAcknowledgement: (hubId) => `${ns}:ack:${hubId}`,
    relayedAcknowledgement: (hubId) => `${ns}:ackmsg:${hubId}`,
    received: (endpoint, messageId) => `${ns}:rcvd:${endpoint}:${messageId}`,
    routed: (hubId) => `${ns}:routed:${hubId}`,
    delivered: (endpoint, hubId) => `${ns}:delivered:${endpoint}:${hubId}`,
    deadLettered: (endpoint, hubId) => `${ns}:dead:${endpoint}:${hubId}`,
    attempts: (endpoint, hubId) => `${ns}:attempts:${endpoint}:${hubId}`,
  };
}
