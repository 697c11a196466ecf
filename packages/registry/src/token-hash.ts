import { createHash, timingSafeEqual } from "node:crypto";

/** The sha256 hex of a bearer token, as the registry stores it (`auth.tokenSha256`). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Compares two sha256 digests in constant time, so response timing says nothing about stored hashes. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
