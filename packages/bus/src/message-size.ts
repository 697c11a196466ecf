import type { NatsConnection } from "@nats-io/nats-core";

/**
 * Room kept free in every NATS message for the hub's own headers, on every hop a message's bytes travel
 * (INGRESS, OUTBOX, an endpoint's INBOX, the DLQ copy with its error headers — the error text is capped at
 * 1 KiB, the rest are ids, kinds, trace context and sequence numbers). NATS counts headers against
 * `max_payload`, so a body that fits at the door must still fit with the most headers it will ever carry.
 */
export const HUB_HEADER_HEADROOM_BYTES = 16 * 1024;

/**
 * The largest payload a NATS message carries itself: what the server takes (`max_payload`, from its INFO at
 * connect) less the header headroom (which also covers the 28 bytes sealing adds). Larger payloads go by claim
 * check (claim-check.ts).
 */
export function inlineMessageLimit(serverMaxPayload: number): number {
  const fits = serverMaxPayload - HUB_HEADER_HEADROOM_BYTES;
  if (!Number.isInteger(serverMaxPayload) || fits <= 0) {
    throw new Error(
      `the NATS server's max_payload (${serverMaxPayload} bytes) leaves no room for a message beside the hub's ${HUB_HEADER_HEADROOM_BYTES} bytes of headers`,
    );
  }
  return fits;
}

/**
 * The largest message the hub accepts — the one size limit (issue 16): the configured CAREHUB_MAX_BODY_BYTES. What
 * does not fit in a NATS message (`inlineMessageLimit`) travels by claim check, so the server's `max_payload` no
 * longer lowers it; it is still checked here, so a server that leaves no room for the hub's headers stops start-up.
 * The gateway answers anything larger 413 at once, so nothing accepted can fail later for its size.
 */
export function largestAcceptedMessage(serverMaxPayload: number, configuredMaxBytes: number): number {
  inlineMessageLimit(serverMaxPayload);
  return configuredMaxBytes;
}

/** The connected server's `max_payload` (NATS' own default, 1 MiB, if the server did not say). */
export function serverMaxPayload(nc: Pick<NatsConnection, "info">): number {
  return nc.info?.max_payload ?? 1024 * 1024;
}
