import { hash, timingSafeEqual } from "node:crypto";

/**
 * The sha256 hex of a bearer token, as the registry stores it (`auth.tokenSha256`). One-shot `hash`: a hash
 * object per request cost about twice as much (every message the gateway takes is authenticated; decision 0117).
 */
export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}

/** Compares two sha256 digests in constant time, so response timing says nothing about stored hashes. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
