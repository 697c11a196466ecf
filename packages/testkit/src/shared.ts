import { randomBytes } from "node:crypto";
import type { JetStreamManager } from "@nats-io/jetstream";

/** The NATS every test shares (NATS_URL, default nats://127.0.0.1:4222). */
export function sharedNatsUrl(): string {
  return process.env.NATS_URL || "nats://127.0.0.1:4222";
}

/** The Redis every test shares (REDIS_URL, default redis://127.0.0.1:6379). */
export function sharedRedisUrl(): string {
  return process.env.REDIS_URL || "redis://127.0.0.1:6379";
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A short random namespace, e.g. `t-k3j9x2`: isolates one test file's streams and keys on shared servers. */
export function testNamespace(prefix = "t"): string {
  const bytes = randomBytes(6);
  let suffix = "";
  for (const byte of bytes) suffix += ALPHABET[byte % ALPHABET.length];
  return `${prefix}-${suffix}`;
}

// Same names as packages/bus topology() (docs/contracts.md); spelled here so the testkit does not depend on the bus.
const STREAM_ROLES = ["INGRESS", "PIPELINE", "OUTBOX", "EVENTS", "DLQ", "INBOX", "AUDIT"] as const;

export function namespaceStreams(namespace: string): string[] {
  const prefix = namespace.toUpperCase().replace(/-/g, "_");
  return STREAM_ROLES.map((role) => `${prefix}_${role}`);
}

/** What cleanupNamespace needs from an ioredis client (or anything alike). */
export interface RedisLike {
  scan(cursor: string, match: "MATCH", pattern: string, count: "COUNT", n: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

export interface CleanupTargets {
  namespace: string;
  /** A connected bus (anything with a JetStreamManager as `jsm`). */
  bus?: { jsm: JetStreamManager };
  jsm?: JetStreamManager;
  redis?: RedisLike;
  /** Extra stream names to delete (e.g. streams a test made by hand). */
  extraStreams?: string[];
}

/** Deletes the namespace's seven streams (and extraStreams) and every `<ns>:*` Redis key. Missing ones are fine. */
export async function cleanupNamespace(targets: CleanupTargets): Promise<{ streams: number; keys: number }> {
  let streams = 0;
  let keys = 0;
  const jsm = targets.jsm ?? targets.bus?.jsm;
  if (jsm !== undefined) {
    for (const name of [...namespaceStreams(targets.namespace), ...(targets.extraStreams ?? [])]) {
      try {
        if (await jsm.streams.delete(name)) streams++;
      } catch {
        // not there
      }
    }
  }
  if (targets.redis !== undefined) {
    let cursor = "0";
    do {
      const [next, found] = await targets.redis.scan(cursor, "MATCH", `${targets.namespace}:*`, "COUNT", 1000);
      cursor = next;
      if (found.length > 0) keys += await targets.redis.unlink(...found);
    } while (cursor !== "0");
  }
  return { streams, keys };
}
