import { type AcknowledgementKeys, acknowledgementKeys } from "@carehub/acknowledgements";

/**
 * The Redis keys the router reads and writes (docs/contracts.md, "Redis keys"). Every key starts with
 * `<ns>:`; message ids are the senders' own ids, scoped by endpoint so two senders never collide.
 */
export interface RouterKeys extends AcknowledgementKeys {
  /** Hub id of the first copy of a sender's message (written by gateway / intake). */
  messageId(endpoint: string, messageId: string): string;
  /** Set when the router sends a message TO an endpoint; value: its hub id. Loop detection. */
  received(endpoint: string, messageId: string): string;
  /** Set once a message is routed: JSON array of the endpoint ids it was sent to ([] when rejected). */
  routed(hubId: string): string;
  /** Hub id of the sender's latest lab result for a sample (a corrected result follows it). */
  labSample(endpoint: string, sampleId: string): string;
}

export function routerKeys(ns: string): RouterKeys {
  return {
    // The stored acknowledgements' keys (ack:, ackmsg:) are spelled once, with the code that keeps them.
    ...acknowledgementKeys(ns),
    messageId: (endpoint, messageId) => `${ns}:msgid:${endpoint}:${messageId}`,
    received: (endpoint, messageId) => `${ns}:rcvd:${endpoint}:${messageId}`,
    routed: (hubId) => `${ns}:routed:${hubId}`,
    labSample: (endpoint, sampleId) => `${ns}:labsample:${endpoint}:${sampleId}`,
  };
}
