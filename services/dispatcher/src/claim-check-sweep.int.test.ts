import type { Bus } from "@carehub/bus";
import { Objm } from "@nats-io/obj";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  SwappableRegistry,
  testEndpoint,
  testNamespace,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import { type RunningDispatcher, startDispatcher } from "./dispatcher.ts";

/**
 * The dispatcher runs the claim-check sweep (docs/decisions/0061) every `claimCheckSweepMs`: an object no stream
 * message names goes. (What the sweep keeps and why is tested in packages/bus/src/claim-check.int.test.ts.)
 */
const ns = testNamespace("ccsweep");
let bus: Bus;
let redis: Redis;
let dispatcher: RunningDispatcher | undefined;

beforeAll(async () => {
  bus = await connectTestBus(ns);
  redis = connectTestRedis();
});

afterAll(async () => {
  await dispatcher?.stop();
  await cleanupTestNamespace(bus, redis, ns);
});

describe("the dispatcher's claim-check sweep", () => {
  it("deletes an object no message names, on its interval", async () => {
    const store = await new Objm(bus.js).open(bus.topology.payloadBucket);
    await store.putBlob({ name: "orphan" }, new Uint8Array(1_024));
    dispatcher = await startDispatcher({
      bus,
      redis,
      registry: new SwappableRegistry(testRegistry([testEndpoint("ep-ccsweep")])),
      // A day ahead: the object counts as older than the sweep's two-hour minimum age.
      now: () => Date.now() + 86_400_000,
      options: { claimCheckSweepMs: 100, registryPollMs: 100 },
    });
    await waitFor(async () => {
      const info = await store.info("orphan");
      return info === null || info.deleted;
    }, "the orphan object deleted");
    expect((await store.list()).filter((o) => !o.deleted)).toEqual([]);
  });
});
