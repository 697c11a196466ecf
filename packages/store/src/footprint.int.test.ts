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
 * The events carry the ids their stages give them (the dispatcher's `delivered`, the router's relayed `acknowledged`
 * with the acknowledgement's UUID hub id). Measured 2026-12-07 (rk18 round): 847 B per message, record 488 B — those
 * ids kept by code and the acknowledgement's hub id in 22 characters (docs/decisions/0119); 975 B, record 616 B,
 * with them spelled out as before. Measured 2026-12-07 (fp17 round, contract event ids): 847 B — a patient filed under its hash's first 22 characters
 * (docs/decisions/0104; each message here is about a patient of its own, whose index key went 168 → 136 B); 879 B
 * before it, 1,088 B before bucketed message indexes (0097), 1,272 B before no index of every message (0080) and the
 * compact record (0081), 1,386 B before compact index members (0064). The bound leaves about 2 %, less than one more
 * index entry per message costs (≥ 30 B in a bucket), the patient's whole hash back in its key (+32 B), the
 * record's return to the spelled-out kind, content type, message id and trace id, or to the stages' event ids
 * spelled out (+128 B), would.
 */
const BOUND_BYTES_PER_MESSAGE = 865;
/**
 * At 30 days' retention every shared index (sender, receiver, pair, status, kind) holds far more than one bucket:
 * 2,000 messages from 4 senders to 3 receivers give every shared index several buckets, as at retention, where a
 * sorted set of its own would be a skiplist at ~122 B per entry; patient indexes left out (one small key per
 * patient, measured above). Measured 2026-12-06: 705 B (1,204 B before 0097 with the same messages, every index a
 * skiplist); 694 B since 0119 with the stages' event ids (822 B spelled out); the same room.
 */
const AT_RETENTION = { messages: 2_000, senders: 4, receivers: 3 };
const BOUND_AT_RETENTION_BYTES_PER_MESSAGE = 720;

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

async function fill(
  namespace: string,
  shape = { messages: MESSAGES, senders: 7, receivers: 5 },
): Promise<ReturnType<typeof createStore>> {
  const store = createStore({
    redis,
    namespace,
    retentionDays: 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => 3_600_000,
  });
  const t0 = Date.now() - 60 * 60_000;
  for (let batch = 0; batch < shape.messages; batch += 50) {
    const events: LifecycleEvent[] = [];
    for (let i = batch; i < batch + 50; i++) {
      const hubId = randomUUID();
      const options = { sender: `practice-${i % shape.senders}`, receivers: [`hospital-${i % shape.receivers}`] };
      events.push(
        ...happyPath(hubId, t0 + i, options).map((e) => ({
          ...asTheStagesMakeIt(e),
          traceId: randomUUID().replaceAll("-", ""),
        })),
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

/**
 * An event with the id its stage gives it, where that is not the contract's: the dispatcher's `delivered` names no
 * attempt, the router's relayed `acknowledged` ends with the acknowledgement's hub id (a UUID, as the hub makes it).
 */
function asTheStagesMakeIt(e: LifecycleEvent): LifecycleEvent {
  if (e.type === "delivered") return { ...e, eventId: `${e.hubId}:delivered:${e.endpoint}` };
  if (e.type !== "acknowledged") return e;
  const ackHubId = randomUUID();
  return { ...e, ackHubId, eventId: `${e.hubId}:acknowledged:${e.endpoint}:${ackHubId}` };
}

async function bytesPerMessage(keys: readonly string[], messages = MESSAGES): Promise<number> {
  let bytes = 0;
  for (const key of keys) bytes += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
  return Math.round(bytes / messages);
}

describe("read-model footprint", () => {
  // Catches: a new copy or index per message (a second record, event ids kept in full, a listing kept twice).
  it(`keeps a delivered, acknowledged message in at most ${BOUND_BYTES_PER_MESSAGE} B of Redis`, async () => {
    const store = await fill("t-footprint");
    const perMessage = await bytesPerMessage(await store.readModelKeys());
    expect(perMessage).toBeLessThanOrEqual(BOUND_BYTES_PER_MESSAGE);
    expect(perMessage).toBeGreaterThan(BOUND_BYTES_PER_MESSAGE / 2); // every record and index is counted
  });

  // Catches: the same, where it weighs most — at retention, where an index of its own would be a skiplist at ~122 B
  // per entry: buckets grown past Redis' listpack limit, or split in halves and never filled (twice the keys).
  it(`keeps it in at most ${BOUND_AT_RETENTION_BYTES_PER_MESSAGE} B when every shared index spans several buckets`, async () => {
    const store = await fill("t-footprint-retention", AT_RETENTION);
    const keys = (await store.readModelKeys()).filter((key) => !key.startsWith(store.keys.byPatient("")));
    const buckets = keys.filter((key) => key.includes("@") && !key.endsWith("@"));
    for (const key of buckets) expect(await redis.object("ENCODING", key)).toBe("listpack");
    expect(keys.filter((key) => key.startsWith(store.keys.bySender("practice-0"))).length).toBeGreaterThan(3);
    const perMessage = await bytesPerMessage(keys, AT_RETENTION.messages);
    expect(perMessage).toBeLessThanOrEqual(BOUND_AT_RETENTION_BYTES_PER_MESSAGE);
    expect(perMessage).toBeGreaterThan(BOUND_AT_RETENTION_BYTES_PER_MESSAGE / 2);
  });
});
