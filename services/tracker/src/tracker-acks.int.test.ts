import { type Bus, connectBus } from "@carehub/bus";
import type { LifecycleEvent } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTracker, startTracker, TRACKER_CONSUMERS } from "./start-tracker.ts";
import { GP, HOSPITAL, trackerRegistry } from "./tracker-fixtures.test-support.ts";

/*
 * The tracker acks without asking the server to confirm each ack (docs/decisions/0093): a redelivered event
 * folds to nothing, so a confirmation would only be logged, and it costs a reply from the server per event.
 * The tracker gets a connection of its own here, so what arrives on it is the tracker's alone.
 */

const ns = testNamespace("trk-acks");
const config = { namespace: ns, retentionDays: 30, patientHashKey: "tracker-test-key-0123456789" };
const EVENTS = 60;
let publisher: Bus;
let trackerBus: Bus;
let redis: Redis;
let tracker: RunningTracker;

beforeAll(async () => {
  publisher = await connectBus({ servers: sharedNatsUrl(), name: "tracker-acks-publisher", namespace: ns });
  await publisher.provision();
  trackerBus = await connectBus({ servers: sharedNatsUrl(), name: "tracker-acks-tracker", namespace: ns });
  redis = new Redis(sharedRedisUrl());
  tracker = await startTracker({ bus: trackerBus, redis, registry: trackerRegistry(), config });
});

afterAll(async () => {
  await tracker?.stop();
  await cleanupNamespace({ namespace: ns, bus: publisher, redis });
  await trackerBus?.drain();
  await publisher?.drain();
  await redis?.quit();
});

async function folded(): Promise<boolean> {
  const info = await publisher.jsm.consumers.info(publisher.topology.streams.events, TRACKER_CONSUMERS.events);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

describe("the tracker's acks", () => {
  // Catches: confirmed acks switched back on for the tracker (one more message in per event: about twice as many).
  it("folds and acks every event with about one message in per event", async () => {
    const before = trackerBus.nc.stats().inMsgs;
    const at = new Date().toISOString();
    for (let i = 0; i < EVENTS; i++) {
      const event: LifecycleEvent = {
        schemaVersion: 1,
        type: "routed",
        hubId: `acks-${i}`,
        eventId: `acks-${i}:routed`,
        at,
        sourceEndpoint: GP.id,
        kind: "care-communication",
        receivers: [HOSPITAL.id],
        ruleCopies: [],
      };
      await publisher.publishJson(publisher.topology.subjects.events(event.type), event, { msgId: event.eventId });
    }
    const deadline = Date.now() + 15_000;
    while (!(await folded())) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the tracker to fold the events");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (let i = 0; i < EVENTS; i++) {
      expect((await tracker.store.getMessage(`acks-${i}`))?.perReceiver[0]?.endpoint).toBe(HOSPITAL.id);
    }
    const received = trackerBus.nc.stats().inMsgs - before;
    // The events themselves, plus a few pull-request status messages and heartbeats.
    expect(received).toBeGreaterThanOrEqual(EVENTS);
    expect(received).toBeLessThan(EVENTS * 1.5);
  });
});
