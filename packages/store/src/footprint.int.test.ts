import { randomUUID } from "node:crypto";
import type { LifecycleEvent } from "@carehub/schemas";
import { type RedisServerHandle, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelope, happyPath } from "./events.test-support.ts";
import { createStore } from "./store.ts";

/*
 * What the read model costs in Redis per message (issue 15: ≤ 600 B per message at retention, hub-wide). A
 * private Redis; MEMORY USAGE (exact, SAMPLES 0) of every key of the namespace after N delivered and
 * acknowledged messages from a few senders to a few receivers, each about one of many patients: the record,
 * its index entries (status, sender, receiver, pair, kind, patient) and the shared counters. The bound is the
 * measured figure with a little room (docs/performance.md); what pushes past it is a new per-message cost.
 */

const MESSAGES = 400;
/**
 * Measured 2026-12-06 (footprint15 round): 1,088 B per message — no index of every message (docs/decisions/0080)
 * and the compact record (0081); 1,272 B before them, 1,386 B before compact index members (0064). The bound
 * leaves about 2 %, less than one more index entry per message costs (≥ 90 B) or the record's return to the
 * spelled-out kind, content type, message id and trace id would (128 B).
 */
const BOUND_BYTES_PER_MESSAGE = 1_110;
/**
 * The same messages with every index a skiplist, as Redis keeps a shared index (sender, receiver, status, …) once
 * it holds more than 128 entries — every one at 30 days' retention —, patient indexes left out (one small key per
 * patient, measured above). Measured 2026-12-06: 1,204 B (1,452 B before 0080 and 0081); the same room.
 */
const BOUND_AT_RETENTION_BYTES_PER_MESSAGE = 1_230;

let server: RedisServerHandle;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

async function fill(namespace: string): Promise<ReturnType<typeof createStore>> {
  const store = createStore({
    redis,
    namespace,
    retentionDays: 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => 3_600_000,
  });
  const t0 = Date.now() - 60 * 60_000;
  for (let batch = 0; batch < MESSAGES; batch += 50) {
    const events: LifecycleEvent[] = [];
    for (let i = batch; i < batch + 50; i++) {
      const hubId = randomUUID();
      const options = { sender: `practice-${i % 7}`, receivers: [`hospital-${i % 5}`] };
      events.push(
        ...happyPath(hubId, t0 + i, options).map((e) => ({ ...e, traceId: randomUUID().replaceAll("-", "") })),
      );
      await store.applyEnvelope(
        envelope(hubId, t0 + i, {
          messageId: randomUUID(),
          sourceEndpoint: options.sender,
          patient: { system: "cpr", value: String(1_000_000_000 + i * 13) },
        }),
      );
    }
    await store.applyEvents(events);
  }
  return store;
}

async function bytesPerMessage(keys: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const key of keys) bytes += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
  return Math.round(bytes / MESSAGES);
}

describe("read-model footprint", () => {
  // Catches: a new copy or index per message (a second record, event ids kept in full, a listing kept twice).
  it(`keeps a delivered, acknowledged message in at most ${BOUND_BYTES_PER_MESSAGE} B of Redis`, async () => {
    const store = await fill("t-footprint");
    const perMessage = await bytesPerMessage(await store.readModelKeys());
    expect(perMessage).toBeLessThanOrEqual(BOUND_BYTES_PER_MESSAGE);
    expect(perMessage).toBeGreaterThan(BOUND_BYTES_PER_MESSAGE / 2); // every record and index is counted
  });

  // Catches: the same, where it weighs most — at retention, where a shared index entry costs ~125 B, not ~30 B.
  it(`keeps it in at most ${BOUND_AT_RETENTION_BYTES_PER_MESSAGE} B with every shared index a skiplist`, async () => {
    const limit = await redis.config("GET", "zset-max-listpack-entries");
    await redis.config("SET", "zset-max-listpack-entries", "0");
    try {
      const store = await fill("t-footprint-retention");
      const keys = (await store.readModelKeys()).filter((key) => !key.startsWith(store.keys.byPatient("")));
      const perMessage = await bytesPerMessage(keys);
      expect(perMessage).toBeLessThanOrEqual(BOUND_AT_RETENTION_BYTES_PER_MESSAGE);
      expect(perMessage).toBeGreaterThan(BOUND_AT_RETENTION_BYTES_PER_MESSAGE / 2);
    } finally {
      await redis.config("SET", "zset-max-listpack-entries", String((limit as string[])[1]));
    }
  });
});
