import type { NatsConnection } from "@nats-io/nats-core";

/**
 * Room kept free in every NATS message for the hub's own headers, on every hop a message's bytes travel
 * (INGRESS, OUTBOX, an endpoint's INBOX, the DLQ copy with its error headers — the error text is capped at
 * 1 KiB, the rest are ids, kinds, trace context and sequence numbers). NATS counts headers against
 * `max_payload`, so a body that fits at the door must still fit with the most headers it will ever carry.
 */
export const HUB_HEADER_HEADROOM_BYTES = 16 * 1024;

/**
 * The largest message the hub accepts — the one size limit (issue 16): what the NATS server takes
 * (`max_payload`, from the server's INFO at connect) less the header headroom, and never more than the
 * configured CAREHUB_MAX_BODY_BYTES. The gateway answers anything larger 413 at once, so nothing accepted can
 * fail later for its size.
 */
export function largestAcceptedMessage(serverMaxPayload: number, configuredMaxBytes: number): number {
  const fits = serverMaxPayload - HUB_HEADER_HEADROOM_BYTES;
  if (!Number.isInteger(serverMaxPayload) || fits <= 0) {
    throw new Error(
      `the NATS server's max_payload (${serverMaxPayload} bytes) leaves no room for a message beside the hub's ${HUB_HEADER_HEADROOM_BYTES} bytes of headers`,
    );
  }
  return Math.min(configuredMaxBytes, fits);
}

/** The connected server's `max_payload` (NATS' own default, 1 MiB, if the server did not say). */
export function serverMaxPayload(nc: Pick<NatsConnection, "info">): number {
  return nc.info?.max_payload ?? 1024 * 1024;
}
