import { metricValue } from "@carehub/observability";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispatcherTestbed,
  FAST_DISPATCH,
  httpDelivery,
  SwappableRegistry,
  type TestReceiver,
  testEndpoint,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import { DeliveryState } from "./delivery-state.ts";
import { dispatchKeys } from "./dispatch-keys.ts";

/**
 * Issue 16, item 5: a dispatcher that dies during a delivery call leaves an attempt that never reported back;
 * the copy's next delivery may reach the receiver a second time (the contract allows it: same message id and
 * webhook-id), and `carehub_delivery_possible_duplicates_total` counts it. A failed attempt that was recorded
 * (the receiver answered 503) is a retry, not a possible duplicate, and a first delivery is neither.
 * Chaos finding 5: an attempt that got no answer — the receiver answered after the endpoint's `timeoutMs`, or cut
 * the connection after reading the request — may have reached it too, so its retry is counted as well.
 */

const bed = dispatcherTestbed("wiredup");
const CRASHED = "ep-wiredup-crashed";
const RETRIED = "ep-wiredup-retried";
const LATE = "ep-wiredup-late";
const CUT = "ep-wiredup-cut";
const receivers = {} as Record<"crashed" | "retried" | "late" | "cut", TestReceiver>;

const duplicates = (endpoint: string) => metricValue("carehub_delivery_possible_duplicates_total", { endpoint });

beforeAll(async () => {
  receivers.crashed = await bed.receiver();
  receivers.retried = await bed.receiver((n) => ({ status: n < 1 ? 503 : 202 }));
  // Gets the first request and answers it after the dispatcher stopped waiting (timeoutMs 300 below).
  receivers.late = await bed.receiver((n) => (n < 1 ? { status: 202, delayMs: 1_500 } : { status: 202 }));
  // Reads the first request, then cuts the connection without an answer.
  receivers.cut = await bed.receiver((n) => (n < 1 ? "drop" : { status: 202 }));
  const registry = new SwappableRegistry(
    testRegistry([
      testEndpoint(CRASHED, httpDelivery(receivers.crashed)),
      testEndpoint(RETRIED, httpDelivery(receivers.retried)),
      testEndpoint(LATE, httpDelivery(receivers.late, 300)),
      testEndpoint(CUT, httpDelivery(receivers.cut)),
    ]),
  );
  const crashedId = `crashed-${Date.now()}`;
  const seq = await bed.toOutbox(CRASHED, crashedId);
  // The dispatcher that died: it looked at this copy and counted its attempt, exactly as dispatchOne does
  // before calling the receiver, then the process was killed during the call (nothing recorded after it).
  const dying = new DeliveryState(bed.redis, dispatchKeys(bed.ns), 3_600);
  await dying.check(CRASHED, crashedId, undefined, String(seq));
  await dying.beginAttempt(CRASHED, crashedId);
  await bed.toOutbox(RETRIED, `retried-${Date.now()}`);
  await bed.toOutbox(LATE, `late-${Date.now()}`);
  await bed.toOutbox(CUT, `cut-${Date.now()}`);
  await bed.dispatcher({
    registry,
    options: {
      ...FAST_DISPATCH,
      circuit: { failureThreshold: 10, cooldownMs: 600, probeLeaseMs: 2_000 },
      concurrency: 2,
    },
  });
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
