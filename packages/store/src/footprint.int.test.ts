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
 * its index entries (all, status, sender, receiver, kind, patient) and the shared counters. The bound is the
 * measured figure with a little room (docs/performance.md); what pushes past it is a new per-message cost.
 */

const MESSAGES = 400;
/**
 * Measured 2026-12-06 (perf round): 1,271 B per message with compact index members (docs/decisions/0064; 1,386 B
 * before them). The bound leaves about 2 %, less than one more key or one more index entry per message costs
 * (≥ 100 B), and less than the members' return to the 36-character hub id would (≈ 115 B).
 */
const BOUND_BYTES_PER_MESSAGE = 1_300;

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

describe("read-model footprint", () => {
  // Catches: a new copy or index per message (a second record, event ids kept in full, a listing kept twice).
  it(`keeps a delivered, acknowledged message in at most ${BOUND_BYTES_PER_MESSAGE} B of Redis`, async () => {
    const store = createStore({
      redis,
      namespace: "t-footprint",
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
            messageId: `msg-${hubId}`,
            sourceEndpoint: options.sender,
            patient: { system: "cpr", value: String(1_000_000_000 + i * 13) },
          }),
        );
      }
      await store.applyEvents(events);
    }
    let bytes = 0;
    for (const key of await store.readModelKeys()) bytes += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
    const perMessage = Math.round(bytes / MESSAGES);
    expect(perMessage).toBeLessThanOrEqual(BOUND_BYTES_PER_MESSAGE);
    expect(perMessage).toBeGreaterThan(BOUND_BYTES_PER_MESSAGE / 2); // every record and index is counted
  });
});
