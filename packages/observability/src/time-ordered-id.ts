import { randomBytes } from "node:crypto";

/**
 * A time-ordered random UUID (RFC 9562 version 7) for a request and its access record: unique across
 * processes and restarts (records are quoted for years, docs/decisions/0012) and sorting by time. Not a
 * message's hub id: those the message ledger derives (packages/ledger).
 */
export function timeOrderedId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
