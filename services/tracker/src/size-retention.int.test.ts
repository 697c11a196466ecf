import { type Bus, connectBus } from "@carehub/bus";
import { waitFor } from "@carehub/bus/testing";
import { metricValue } from "@carehub/observability";
import type { Envelope } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildReadModel } from "./rebuild.ts";
import { sizeRetention } from "./size-retention.ts";
import { createReadModel, type RunningTracker, startTracker, TRACKER_CONSUMERS } from "./start-tracker.ts";
import { envelopeOf, GP, HOSPITAL, trackerRegistry } from "./tracker-fixtures.test-support.ts";

/*
 * Size-based retention (CAREHUB_STREAM_MAX_BYTES, docs/decisions/0074) against the real NATS and Redis: the
 * tracker's sweep trims PIPELINE to a tiny budget, the records of the purged messages leave the read model with
 * them while their events stay in EVENTS, a rebuild gives back exactly the live read model, and a message the
 * tracker has not processed (tracker stopped) is never purged however far over the budget the stream is.
 */

const ns = testNamespace("szr");
const registry = trackerRegistry();
// Envelopes of ~2.5 KB (a long notification topic), events of a few hundred bytes: PIPELINE goes over the
// budget, EVENTS stays under it, so the events of purged messages are still there for a rebuild to meet.
const BUDGET = 10_000;
const TOPIC = "t".repeat(2_000);
const config = {
  namespace: ns,
  retentionDays: 30,
  patientHashKey: "size-retention-key-0123456789",
  streamMaxBytes: BUDGET,
};
let bus: Bus;
let redis: Redis;
let tracker: RunningTracker | undefined;

function start(): Promise<RunningTracker> {
  return startTracker({ bus, redis, registry, config, options: { timerPollMs: 50, sweepIntervalMs: 100 } });
}

/** Publishes one message as the hub would: its envelope on PIPELINE and its routed event on EVENTS. */
async function publishMessage(hubId: string): Promise<void> {
  const receivedAt = Date.now();
  const envelope: Envelope = envelopeOf(hubId, GP, HOSPITAL, { kind: "notification", topic: TOPIC }, receivedAt);
  await bus.publishJson(bus.topology.subjects.pipeline(envelope.kind), envelope, { msgId: hubId });
  await bus.publishJson(
    bus.topology.subjects.events("routed"),
    {
      schemaVersion: 1,
      type: "routed",
      eventId: `${hubId}:routed`,
      hubId,
      at: new Date(receivedAt).toISOString(),
      sourceEndpoint: GP.id,
      kind: "notification",
      receivers: [HOSPITAL.id],
      ruleCopies: [],
    },
    { msgId: `${hubId}:routed` },
  );
  // The next message is received after this one was stored, in a later millisecond (the floor is in ms).
  const stored = Date.now();
  await waitFor(() => Date.now() > stored, "the clock to move on");
}

async function pipelineState() {
  return (await bus.jsm.streams.info(bus.topology.streams.pipeline)).state;
}

beforeAll(async () => {
  bus = await connectBus({ servers: sharedNatsUrl(), name: "size-retention-test", namespace: ns });
  await bus.provision();
  redis = new Redis(sharedRedisUrl());
  tracker = await start();
});

afterAll(async () => {
  await tracker?.stop();
  await cleanupNamespace({ namespace: ns, bus, redis });
  await redis?.del(`${ns}:retention:floor`);
  await bus?.drain();
  await redis?.quit();
});

describe("size-based retention", () => {
  const ids = Array.from({ length: 12 }, (_, i) => `size-${i}`);

  it("purges the oldest processed messages down to the budget, and their records leave the read model", async () => {
    const live = tracker as RunningTracker;
    for (const id of ids) await publishMessage(id);
    const state = await waitFor(async () => {
      const s = await pipelineState();
      return s.last_seq === ids.length && s.first_seq > 1 && s.bytes <= BUDGET && s;
    }, "PIPELINE within its budget");
    // Something was purged, the newest message was not, and EVENTS (under budget) kept every event.
    expect(state.first_seq).toBeGreaterThan(1);
    expect(state.last_seq).toBe(ids.length);
    expect((await bus.jsm.streams.info(bus.topology.streams.events)).state.messages).toBe(ids.length);
    const purged = ids.slice(0, state.first_seq - 1);
    await waitFor(async () => {
      for (const id of purged) if ((await live.store.getMessage(id)) !== undefined) return false;
      return true;
    }, "the records of the purged messages to leave");
    expect(await live.store.getMessage(ids.at(-1) as string)).toBeDefined();
    expect(await metricValue("carehub_stream_over_budget_bytes", { stream: bus.topology.streams.pipeline })).toBe(0);
  });

  it("rebuilds exactly the read model it keeps after the sweep (the events left of purged messages bring nothing back)", async () => {
    const store = (tracker as RunningTracker).store;
    await tracker?.stop();
    tracker = undefined;
    await store.sweepExpired();
    // The day statistics are counts without identifiers, kept for their day's retention like ages-old ones
    // (docs/decisions/0066); a rebuild recounts them from what the streams still hold, so they are left out.
    const dump = async () =>
      Object.fromEntries(
        Object.entries(await store.dumpReadModel()).filter(([key]) => !key.startsWith(store.keys.statsDay(""))),
      );
    const liveDump = await dump();
    expect(Object.keys(liveDump).length).toBeGreaterThan(3);
    // A fresh store, as `carehub rebuild` has: it knows the floor only from Redis.
    const report = await rebuildReadModel({ bus, store: createReadModel({ redis, config, registry }), registry });
    // EVENTS still holds the routed event of every purged message: the floor keeps their records out.
    expect(report.events).toBe(ids.length);
    expect(await dump()).toEqual(liveDump);
  });

  it("never purges a message the tracker has not processed, and says how far over the budget that leaves the stream", async () => {
    await tracker?.stop();
    tracker = undefined;
    const before = await pipelineState();
    const unprocessed = Array.from({ length: 8 }, (_, i) => `late-${i}`);
    for (const id of unprocessed) await publishMessage(id);
    const consumer = await bus.jsm.consumers.info(bus.topology.streams.pipeline, TRACKER_CONSUMERS.pipeline);
    expect(consumer.ack_floor.stream_seq).toBe(before.last_seq);

    // The tracker's own pass (what its sweep runs), with the tracker stopped.
    const store = createReadModel({ redis, config, registry });
    await sizeRetention({ bus, store, maxBytes: BUDGET })?.();
    const after = await pipelineState();
    // Everything the tracker processed may go; nothing after its ack floor does.
    expect(after.first_seq).toBe(before.last_seq + 1);
    expect(after.messages).toBe(unprocessed.length);
    expect(after.bytes).toBeGreaterThan(BUDGET);
    const stream = bus.topology.streams.pipeline;
    expect(await metricValue("carehub_stream_over_budget_bytes", { stream })).toBe(after.bytes - BUDGET);

    // Started again, the tracker processes them all (nothing was lost), and then they may go to the budget.
    tracker = await start();
    const live = tracker;
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(stream, TRACKER_CONSUMERS.pipeline);
      return info.ack_floor.stream_seq === after.last_seq;
    }, "the tracker to process them");
    expect(await live.store.getMessage(unprocessed.at(-1) as string)).toBeDefined();
    await waitFor(async () => {
      const over = await metricValue("carehub_stream_over_budget_bytes", { stream });
      return over === 0 && (await pipelineState()).bytes <= BUDGET;
    }, "the stream back within its budget");
  });
});
