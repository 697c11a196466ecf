import { randomBytes } from "node:crypto";
import type { JetStreamManager } from "@nats-io/jetstream";
import { TestkitNoServerError } from "./errors.ts";

/**
 * The NATS every test of a run shares (NATS_URL): the configured one, or the private server the run's globalSetup
 * started on a free port (provideTestServers). Never a guessed port.
 */
export function sharedNatsUrl(): string {
  const url = process.env.NATS_URL;
  if (!url) throw new TestkitNoServerError("NATS_URL");
  return url;
}

/** The Redis every test of a run shares (REDIS_URL), configured or started by the run's globalSetup. */
export function sharedRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new TestkitNoServerError("REDIS_URL");
  return url;
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

/** The namespace's seven streams, then the stream of its claim-check bucket (`OBJ_<NS>_PAYLOADS`, packages/bus). */
export function namespaceStreams(namespace: string): string[] {
  const prefix = namespace.toUpperCase().replace(/-/g, "_");
  return [...STREAM_ROLES.map((role) => `${prefix}_${role}`), `OBJ_${prefix}_PAYLOADS`];
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

/** Deletes the namespace's streams and claim-check bucket (and extraStreams) and every `<ns>:*` Redis key. Missing ones are fine. */
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
