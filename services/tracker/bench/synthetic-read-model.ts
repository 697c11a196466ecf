/**
 * Synthetic read-model data for the benchmarks (bench:tracker, bench:overview, bench:search): message lifecycles
 * folded by the store's own fold, deterministic, cheap to make so that a fill measures the store. Moved out of
 * tracker.bench.ts so the benches make the same kind of data; with what they share around it (their settings from
 * the environment, the private redis-server, where the results go).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LifecycleEvent, MessageKind } from "@carehub/schemas";
import { applyEvent, type MessageState, patientHash, patientIndexHash, type ReadModelStore } from "@carehub/store";
import { startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";

export const HASH_KEY = "bench-patient-hash-key-0123456789";
export const DAY = 86_400_000;
export const NOW = Date.now();
export const ENDPOINTS = Array.from({ length: 20 }, (_, i) => `endpoint-${String(i).padStart(2, "0")}`);
const KINDS: MessageKind[] = [
  "homecare-observation",
  "lab-result",
  "lab-result",
  "lab-result",
  "referral",
  "care-communication",
  "care-communication",
  "hospital-notification",
  "acknowledgement",
  "acknowledgement",
];

/** A deterministic pseudo-random sequence, so both sizes see the same kind of data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let counter = 0;

/** A unique UUIDv7-shaped id (time-ordered like the gateway's hub ids); cheap, so the fill measures the store. */
export function uuidv7(ms: number, random: () => number): string {
  counter++;
  const tail = `${(8 + Math.floor(random() * 4)).toString(16)}${counter.toString(16).padStart(15, "0")}`;
  const h = `${ms.toString(16).padStart(12, "0")}7${(counter & 0xfff).toString(16).padStart(3, "0")}${tail}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** One message's life: received, routed, (retries), delivered, acknowledged — or one of the other endings. */
export function syntheticMessage(i: number, random: () => number, patients: number): MessageState {
  const t = NOW - Math.floor(random() * 30 * DAY);
  const hubId = uuidv7(t, random);
  const sender = ENDPOINTS[Math.floor(random() * ENDPOINTS.length)] as string;
  let receiver = ENDPOINTS[Math.floor(random() * ENDPOINTS.length)] as string;
  if (receiver === sender) receiver = ENDPOINTS[(ENDPOINTS.indexOf(sender) + 1) % ENDPOINTS.length] as string;
  const kind = KINDS[i % KINDS.length] as MessageKind;
  const base = { schemaVersion: 1 as const, hubId, messageId: uuidv7(t - 500, random), sourceEndpoint: sender, kind };
  const at = (ms: number) => new Date(t + ms).toISOString();
  const events: LifecycleEvent[] = [
    {
      ...base,
      type: "received",
      eventId: `${hubId}:received`,
      at: at(0),
      contentType: "application/fhir+json",
      size: 2_000 + Math.floor(random() * 30_000),
      traceId: `${hubId.replaceAll("-", "")}`,
    },
  ];
  const ending = random();
  if (ending < 0.02) {
    events.push({
      ...base,
      type: "rejected",
      eventId: `${hubId}:rejected`,
      at: at(15),
      stage: "intake",
      issues: [
        { code: "CAREHUB_ERR_FHIR_REQUIRED", path: "MessageHeader.destination", message: "a destination is required" },
      ],
    });
  } else {
    events.push({
      ...base,
      type: "routed",
      eventId: `${hubId}:routed`,
      at: at(20),
      receivers: [receiver],
      ruleCopies: [],
    });
    let attempt = 1;
    if (random() < 0.05) {
      for (; attempt <= 3; attempt++) {
        events.push({
          ...base,
          type: "delivery-failed",
          eventId: `${hubId}:delivery-failed:${receiver}:${attempt}`,
          at: at(20 + attempt * 1_000),
          endpoint: receiver,
          attempt,
          error: { code: "CAREHUB_ERR_DELIVERY_HTTP_STATUS", message: "HTTP 503 from the endpoint" },
          nextAttemptInMs: 2_000,
        });
      }
    }
    if (ending < 0.04) {
      events.push({
        ...base,
        type: "dead-lettered",
        eventId: `${hubId}:dead-lettered:${receiver}`,
        at: at(60_000),
        endpoint: receiver,
        stage: "dispatcher",
        reason: { code: "CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED", message: "gave up after 8 attempts" },
        attempts: 8,
      });
    } else {
      events.push({
        ...base,
        type: "delivered",
        eventId: `${hubId}:delivered:${receiver}:${attempt}`,
        at: at(20 + attempt * 1_000 + 50),
        endpoint: receiver,
        attempt,
        durationMs: 20 + Math.floor(random() * 200),
      });
      if (kind !== "acknowledgement" && ending > 0.12) {
        events.push({
          ...base,
          type: "acknowledged",
          eventId: `${hubId}:acknowledged:${receiver}`,
          at: at(90_000),
          endpoint: receiver,
          code: ending < 0.15 ? "fatal-error" : "ok",
          ackHubId: uuidv7(t + 90_000, random),
        });
      }
    }
  }
  let state: MessageState | undefined;
  for (const event of events) state = applyEvent(state, event);
  const message = state as MessageState;
  if (kind !== "acknowledgement")
    // As the store files it since docs/decisions/0104: the hash's first characters.
    message.patientHash = patientIndexHash(
      patientHash(HASH_KEY, String(1_000_000_000 + Math.floor(random() * patients))),
    );
  return message;
}

export interface Stats {
  p50: number;
  p99: number;
}

export function percentiles(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

export const round = (ms: number) => Math.round(ms * 1_000) / 1_000;

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

const FILL_BATCH = 2_000;

/**
 * Fills a store with `size` synthetic messages (message i is `syntheticMessage(i, random, patients)`) through its
 * own bulk write path, in batches of 2,000 with one batch on the wire while the next is built. `beside` sees each
 * batch before it is written and may return more writes to send with it (the ledger's records, say).
 */
export async function fillSynthetic(
  store: Pick<ReadModelStore, "importMessages">,
  size: number,
  options: {
    random: () => number;
    patients: number;
    beside?: (states: MessageState[]) => Promise<unknown> | undefined;
  },
): Promise<void> {
  let pending: Promise<unknown> | undefined;
  for (let done = 0; done < size; done += FILL_BATCH) {
    const states: MessageState[] = [];
    for (let i = done; i < Math.min(size, done + FILL_BATCH); i++) {
      states.push(syntheticMessage(i, options.random, options.patients));
    }
    await pending;
    pending = Promise.all([store.importMessages(states), options.beside?.(states)]);
    if (done % 100_000 === 0 && done > 0) process.stderr.write(`  ${done.toLocaleString("en")} messages\n`);
  }
  await pending;
}

export interface BenchEnvironment {
  date: string;
  node: string;
  redis: string;
  cpus: number;
  loadAverage: number[];
  samples: number;
}

/** What a read-model bench's results say about where they were measured (load average at the end). */
export function benchEnvironment(redisVersion: string, samples: number): BenchEnvironment {
  return {
    date: new Date().toISOString(),
    node: process.version,
    redis: redisVersion,
    cpus: cpus().length,
    loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
    samples,
  };
}

/** BENCH_SIZES: the store sizes a read-model bench fills, in order (default 10,000 then 1,000,000 messages). */
export function benchSizes(): number[] {
  return (process.env.BENCH_SIZES ?? "10000,1000000").split(",").map(Number);
}

/** BENCH_SAMPLES: timed calls per query (each bench has its own default). */
export function benchSamples(fallback: number): number {
  return Number(process.env.BENCH_SAMPLES ?? fallback);
}

/**
 * Runs `measure` against a private redis-server that never evicts (a fill must not lose keys), with a client and
 * the server's version; stops both however `measure` ends.
 */
export async function withBenchRedis<T>(measure: (redis: Redis, redisVersion: string) => Promise<T>): Promise<T> {
  const server = await startRedisServer({ args: ["--maxmemory-policy", "noeviction"] });
  const redis = new Redis(server.url);
  try {
    const version = /redis_version:(\S+)/.exec(await redis.info("server"))?.[1] ?? "?";
    return await measure(redis, version);
  } finally {
    await redis.quit();
    await server.stop();
  }
}

const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

/** Writes bench/results/<name>.json and <name>.md and says so on stderr. */
export function writeBenchResults(name: string, json: unknown, markdown: string): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS, `${name}.md`), markdown);
  process.stderr.write(`wrote ${join(RESULTS, `${name}.md`)}\n`);
}
