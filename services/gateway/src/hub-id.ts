import { randomBytes } from "node:crypto";
import { derivedUuid } from "@carehub/acknowledgements";

/**
 * The hub id of a message whose sender message id is known: a name-based UUID (version 5) of namespace,
 * endpoint and message id. The same message from the same sender always gets the same id, so a crash between
 * the INGRESS publish and the Redis write cannot make two ids for one message, and a concurrent repeat is
 * stored once by JetStream's dedup on Nats-Msg-Id. Intake recomputes it to tell the gateway's ids from
 * headers an endpoint publishing on NATS made up.
 */
export function messageHubId(namespace: string, endpoint: string, messageId: string): string {
  return derivedUuid("message", namespace, endpoint, messageId);
}

/** A name-based UUID (RFC 9562 version 5) in carehub's namespace, from the given parts. */
export function nameBasedUuid(...parts: string[]): string {
  return derivedUuid(...parts);
}

/** A time-ordered random UUID (RFC 9562 version 7), for messages whose id could not be read. */
export function randomHubId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return formatUuid(bytes);
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
