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

/**
 * Issue 16 (chaos overload finding): receivers answering after the endpoint's `timeoutMs` used up the attempt
 * limit, so messages that had reached them were dead-lettered. The retry budget is time (docs/decisions/0060):
 * an attempt without an answer does not use up `maxDeliveryAttempts`, and a message is dead-lettered only when
 * its `retryWindowSeconds` has passed.
 */

const bed = dispatcherTestbed("retrywin");
const SLOW = "ep-rw-slow";
const DOWN = "ep-rw-down";
const OPEN = "ep-rw-open";
const receivers = {} as Record<"slow" | "down" | "open", TestReceiver>;

const SLOW_REQUESTS = 4;

beforeAll(async () => {
  // Answers the first four requests after 700 ms, past the endpoint's 200 ms timeout; then at once.
  receivers.slow = await bed.receiver((n) => (n < SLOW_REQUESTS ? { status: 202, delayMs: 700 } : { status: 202 }));
  receivers.down = await bed.receiver(() => ({ status: 503 }));
  receivers.open = await bed.receiver(() => ({ status: 503 }));
  const registry = new SwappableRegistry(
    testRegistry([
      // One attempt allowed: before decision 0060 the first timeout dead-lettered the message.
      testEndpoint(SLOW, { ...httpDelivery(receivers.slow, 200), maxDeliveryAttempts: 1 }),
      testEndpoint(DOWN, { ...httpDelivery(receivers.down), retryWindowSeconds: 2 }),
    ]),
  );
  const options = {
    ...FAST_DISPATCH,
    backoff: { initialMs: 100, factor: 2, maxMs: 400, jitter: 0.5 },
    // A circuit that never opens here: every outcome below comes from the retry budget alone.
    circuit: { failureThreshold: 1_000, cooldownMs: 60_000, probeLeaseMs: 60_000 },
  };
  await bed.dispatcher({ registry, options });
  // OPEN's own dispatcher: a circuit that opens after two failures and then stays open for the whole test.
  await bed.dispatcher({
    registry: new SwappableRegistry(
      testRegistry([testEndpoint(OPEN, { ...httpDelivery(receivers.open), retryWindowSeconds: 1 })]),
    ),
    options: { ...options, circuit: { failureThreshold: 2, cooldownMs: 60_000, probeLeaseMs: 60_000 } },
  });
});

describe("the retry budget is time, not attempts", () => {
  it("delivers a message to a receiver slower than the timeout for a while: no-answer attempts use up no attempts", async () => {
    const duplicatesBefore = await metricValue("carehub_delivery_possible_duplicates_total", { endpoint: SLOW });
    const id = `slow-${Date.now()}`;
    await bed.toOutbox(SLOW, id);
    const delivered = await waitFor(() => bed.events.of("delivered", id)[0], "delivered after the slow phase", 20_000);
    expect(bed.events.of("dead-lettered", id)).toHaveLength(0);
    expect(delivered.attempt).toBe(SLOW_REQUESTS + 1);
    const failed = bed.events.of("delivery-failed", id);
    expect(failed.map((e) => e.error.code)).toEqual(Array(SLOW_REQUESTS).fill("CAREHUB_ERR_DELIVERY_TIMEOUT"));
    // Each retry after a timeout may be a wire duplicate (the receiver got the request): counted, one per retry.
    const duplicates = await metricValue("carehub_delivery_possible_duplicates_total", { endpoint: SLOW });
    expect(duplicates - duplicatesBefore).toBe(SLOW_REQUESTS);
  });

  it("dead-letters a message whose endpoint stays down past its retry window, with the window's code", async () => {
    const id = `down-${Date.now()}`;
    const queuedAt = Date.now();
    await bed.toOutbox(DOWN, id);
    const dead = await waitFor(() => bed.events.of("dead-lettered", id)[0], "dead-lettered after the window", 15_000);
    expect(dead).toMatchObject({ endpoint: DOWN, reason: { code: "CAREHUB_ERR_DELIVERY_RETRY_WINDOW_PASSED" } });
    // Retried on backoff (100–400 ms) throughout the window: not given up early, not long after it, and not
    // hammering the endpoint once the window is over.
    expect(Date.parse(dead.at) - queuedAt).toBeGreaterThanOrEqual(2_000);
    expect(Date.parse(dead.at) - queuedAt).toBeLessThan(3_500);
    expect(dead.attempts).toBeGreaterThanOrEqual(4);
    expect(dead.attempts).toBeLessThan(20);
    expect(bed.events.of("delivered", id)).toHaveLength(0);
    const letter = await bed.bus.jsm.streams.getMessage(bed.bus.topology.streams.dlq, {
      last_by_subj: bed.bus.topology.subjects.dlq("dispatcher"),
    });
    expect(letter?.header?.get("Carehub-Error-Code")).toBe("CAREHUB_ERR_DELIVERY_RETRY_WINDOW_PASSED");
  });

  it("dead-letters the backlog behind an open circuit once its window passed, without a probe per message", async () => {
    const ids = Array.from({ length: 16 }, (_, i) => `open-${i}-${Date.now()}`);
    for (const id of ids) await bed.toOutbox(OPEN, id);
    await waitFor(
      () => ids.every((id) => bed.events.of("dead-lettered", id).length === 1),
      "the whole backlog dead-lettered",
      15_000,
    );
    for (const id of ids) {
      expect(bed.events.of("dead-lettered", id)[0]?.reason.code).toBe("CAREHUB_ERR_DELIVERY_RETRY_WINDOW_PASSED");
    }
    // The circuit opened after two failures and stayed open (60 s cool-down): waiting for it would have taken
    // a minute; the messages it held back dead-lettered without calling the endpoint.
    expect(receivers.open.requests.length).toBeLessThan(ids.length);
  });
});
