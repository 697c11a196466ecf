import { randomUUID } from "node:crypto";

/**
 * A time-ordered random UUID (RFC 9562 version 7) for a request and its access record: unique across
 * processes and restarts (records are quoted for years, docs/decisions/0012) and sorting by time. Not a
 * message's hub id: those the message ledger derives (packages/ledger).
 *
 * The 74 random bits are taken from a random version-4 UUID, whose characters 15–17, 19–22 (the variant, whose
 * top two bits are version 7's too) and 24–35 are random: node makes those from a cached pool of entropy, where
 * `randomBytes(16)` asked the system for it on every id (about 3 % of the gateway's CPU, one id per request).
 */
export function timeOrderedId(now: number = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, "0").slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19, 23)}-${random.slice(24)}`;
}
