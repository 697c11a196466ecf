import type { Bus } from "@carehub/bus";
import { metricValue } from "@carehub/observability";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  toOutbox as publishToOutbox,
  SwappableRegistry,
  TestReceiver,
  testEndpoint,
  testNamespace,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import { DeliveryState } from "./delivery-state.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { type RunningDispatcher, startDispatcher } from "./dispatcher.ts";

/**
 * Issue 16, item 5: a dispatcher that dies during a delivery call leaves an attempt that never reported back;
 * the copy's next delivery may reach the receiver a second time (the contract allows it: same message id and
 * webhook-id), and `carehub_delivery_possible_duplicates_total` counts it. A failed attempt that was recorded
 * (the receiver answered 503) is a retry, not a possible duplicate, and a first delivery is neither.
 * Chaos finding 5: an attempt that got no answer — the receiver answered after the endpoint's `timeoutMs`, or cut
 * the connection after reading the request — may have reached it too, so its retry is counted as well.
 */

const ns = testNamespace("wiredup");
const CRASHED = "ep-wiredup-crashed";
const RETRIED = "ep-wiredup-retried";
const LATE = "ep-wiredup-late";
const CUT = "ep-wiredup-cut";
let bus: Bus;
let redis: Redis;
let dispatcher: RunningDispatcher | undefined;
const receivers = {} as Record<"crashed" | "retried" | "late" | "cut", TestReceiver>;

const toOutbox = (endpoint: string, id: string) => publishToOutbox(bus, endpoint, id);

const duplicates = (endpoint: string) => metricValue("carehub_delivery_possible_duplicates_total", { endpoint });

beforeAll(async () => {
  bus = await connectTestBus(ns);
  redis = connectTestRedis();
  receivers.crashed = await TestReceiver.start();
  receivers.retried = await TestReceiver.start((n) => ({ status: n < 1 ? 503 : 202 }));
  // Gets the first request and answers it after the dispatcher stopped waiting (timeoutMs 300 below).
  receivers.late = await TestReceiver.start((n) => (n < 1 ? { status: 202, delayMs: 1_500 } : { status: 202 }));
  // Reads the first request, then cuts the connection without an answer.
  receivers.cut = await TestReceiver.start((n) => (n < 1 ? "drop" : { status: 202 }));
  const http = (receiver: TestReceiver, timeoutMs = 5_000) => ({
    delivery: { mode: "http" as const, url: receiver.url, timeoutMs },
  });
  const registry = new SwappableRegistry(
    testRegistry([
      testEndpoint(CRASHED, http(receivers.crashed)),
      testEndpoint(RETRIED, http(receivers.retried)),
      testEndpoint(LATE, http(receivers.late, 300)),
      testEndpoint(CUT, http(receivers.cut)),
    ]),
  );
  const crashedId = `crashed-${Date.now()}`;
  const seq = await toOutbox(CRASHED, crashedId);
  // The dispatcher that died: it looked at this copy and counted its attempt, exactly as dispatchOne does
  // before calling the receiver, then the process was killed during the call (nothing recorded after it).
  const dying = new DeliveryState(redis, dispatchKeys(ns), 3_600);
  await dying.check(CRASHED, crashedId, undefined, String(seq));
  await dying.beginAttempt(CRASHED, crashedId);
  await toOutbox(RETRIED, `retried-${Date.now()}`);
  await toOutbox(LATE, `late-${Date.now()}`);
  await toOutbox(CUT, `cut-${Date.now()}`);
  dispatcher = await startDispatcher({
    bus,
    redis,
    registry,
    options: {
      backoff: { initialMs: 40, factor: 2, maxMs: 160, jitter: 0.5 },
      circuit: { failureThreshold: 10, cooldownMs: 600, probeLeaseMs: 2_000 },
      predecessorPollMs: 40,
      pollScheduleMs: [40, 80],
      concurrency: 2,
      registryPollMs: 100,
    },
  });
});

afterAll(async () => {
  await dispatcher?.stop();
  for (const receiver of Object.values(receivers)) await receiver.close();
  await cleanupTestNamespace(bus, redis, ns);
});

describe("wire duplicates after a crash", () => {
  it("counts a delivery whose previous attempt never reported back, and not a recorded retry", async () => {
    await waitFor(async () => receivers.crashed.requests.length === 1, "the crashed copy to be delivered");
    await waitFor(
      async () => receivers.retried.requests.filter((r) => r.answer === 202).length === 1,
      "the retried copy to be delivered after its 503",
    );
    expect(await duplicates(CRASHED)).toBe(1);
    expect(await duplicates(RETRIED)).toBe(0);
  });

  it("counts the retry of an attempt that got no answer: a late answer, a connection cut after the request", async () => {
    for (const name of ["late", "cut"] as const) {
      // The second request is the retry; the metric is counted before it is sent.
      await waitFor(async () => receivers[name].requests.length >= 2, `the ${name} copy to be tried again`);
    }
    expect(await duplicates(LATE)).toBe(1);
    expect(await duplicates(CUT)).toBe(1);
  });
});
