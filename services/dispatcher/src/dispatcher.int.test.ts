import { metricValue } from "@carehub/observability";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispatcherTestbed,
  FAST_DISPATCH,
  httpDelivery,
  SwappableRegistry,
  sleep,
  type TestReceiver,
  testEndpoint,
  testRegistry,
  waitFor,
} from "../test/support.ts";
import { parseCircuitState } from "./circuit-breaker.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import type { RunningDispatcher } from "./dispatcher.ts";
import { redriveDeadLetters } from "./redrive.ts";

const bed = dispatcherTestbed("disp");
const { ns } = bed;
let dispatcher: RunningDispatcher;
const registry = new SwappableRegistry(testRegistry([testEndpoint("placeholder")]));

const receivers = {} as Record<
  "plain" | "flaky" | "down" | "refusing" | "slow" | "fast" | "ordered" | "orderedDead" | "circuit",
  TestReceiver
>;

let sequence = 0;
function hubId(label: string): string {
  sequence += 1;
  return `${label}-${sequence}-${Date.now()}`;
}

beforeAll(async () => {
  receivers.plain = await bed.receiver();
  receivers.flaky = await bed.receiver((n) => ({ status: n < 2 ? 503 : 202 }));
  receivers.down = await bed.receiver(() => ({ status: 503 }));
  receivers.refusing = await bed.receiver(() => ({ status: 400 }));
  receivers.slow = await bed.receiver(() => ({ status: 200, delayMs: 2_000 }));
  receivers.fast = await bed.receiver();
  receivers.ordered = await bed.receiver();
  receivers.orderedDead = await bed.receiver((_n, r) => ({
    status: String(r.headers["carehub-hub-id"]).startsWith("orig") ? 503 : 202,
  }));
  receivers.circuit = await bed.receiver(() => ({ status: 503 }));
  const http = (receiver: TestReceiver, maxDeliveryAttempts?: number) => ({
    ...httpDelivery(receiver),
    ...(maxDeliveryAttempts === undefined ? {} : { maxDeliveryAttempts }),
  });
  registry.set(
    testRegistry([
      testEndpoint("ep-plain", http(receivers.plain)),
      testEndpoint("ep-flaky", http(receivers.flaky)),
      testEndpoint("ep-down", http(receivers.down, 3)),
      testEndpoint("ep-refusing", http(receivers.refusing)),
      testEndpoint("ep-slow", http(receivers.slow)),
      testEndpoint("ep-fast", http(receivers.fast)),
      testEndpoint("ep-ordered", http(receivers.ordered)),
      testEndpoint("ep-ordered-dead", http(receivers.orderedDead, 1)),
      testEndpoint("ep-circuit", http(receivers.circuit, 50)),
      testEndpoint("ep-inbox"),
    ]),
  );
  dispatcher = await bed.dispatcher({
    registry,
    options: { ...FAST_DISPATCH, circuit: { failureThreshold: 3, cooldownMs: 600, probeLeaseMs: 2_000 } },
  });
});

describe("dispatcher", () => {
  it("runs one consumer per registered endpoint", () => {
    expect(dispatcher.endpoints().sort()).toEqual(
      [
        "ep-circuit",
        "ep-down",
        "ep-fast",
        "ep-flaky",
        "ep-inbox",
        "ep-ordered",
        "ep-ordered-dead",
        "ep-plain",
        "ep-refusing",
        "ep-slow",
      ].sort(),
    );
  });

  it("POSTs the bytes with the contract headers, reports delivered, and never delivers the same hub id twice", async () => {
    const id = hubId("plain");
    await bed.toOutbox("ep-plain", id, { body: "<hello/>" });
    const delivered = await waitFor(() => bed.events.of("delivered", id)[0], "delivered event");
    expect(delivered).toMatchObject({ endpoint: "ep-plain", attempt: 1, messageId: `msg-${id}`, kind: "lab-result" });
    const request = receivers.plain.requests[0];
    expect(request?.body.toString()).toBe("<hello/>");
    expect(request?.headers).toMatchObject({
      "content-type": "application/xml",
      "carehub-hub-id": id,
      "carehub-message-id": `msg-${id}`,
      "carehub-kind": "lab-result",
      "carehub-source-endpoint": "sender-x",
      "carehub-attempt": "1",
    });
    expect(await bed.redis.hexists(dispatchKeys(ns).markers(id), "d:ep-plain")).toBe(1);

    // A second copy of the same message (as after a crash between delivery and ack) is skipped.
    await bed.bus.publish(bed.bus.topology.subjects.outbox("ep-plain"), "<hello/>", {
      msgId: `${id}:ep-plain:again`,
      headers: {
        "Carehub-Hub-Id": id,
        "Carehub-Source-Endpoint": "sender-x",
        "Carehub-Message-Id": `msg-${id}`,
        "Carehub-Kind": "lab-result",
      },
    });
    await bed.idle("ep-plain");
    expect(receivers.plain.hubIds().filter((h) => h === id)).toHaveLength(1);
  });

  it("retries a receiver that fails its first two deliveries and delivers exactly once", async () => {
    const attempts = (outcome: string) =>
      metricValue("carehub_delivery_attempts_total", { endpoint: "ep-flaky", outcome });
    const [failedBefore, deliveredBefore] = [await attempts("failed"), await attempts("delivered")];
    const id = hubId("flaky");
    await bed.toOutbox("ep-flaky", id);
    const delivered = await waitFor(() => bed.events.of("delivered", id)[0], "delivered event");
    // Operators see each attempt on /metrics, by endpoint and outcome.
    expect([(await attempts("failed")) - failedBefore, (await attempts("delivered")) - deliveredBefore]).toEqual([
      2, 1,
    ]);
    expect(delivered.attempt).toBe(3);
    expect(receivers.flaky.accepted()).toEqual([id]);
    expect(receivers.flaky.requests.map((r) => r.headers["carehub-attempt"])).toEqual(["1", "2", "3"]);
    const failed = bed.events.of("delivery-failed", id);
    expect(failed.map((e) => e.attempt)).toEqual([1, 2]);
    expect(failed.every((e) => e.error.code === "CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE")).toBe(true);
    expect(failed.every((e) => (e.nextAttemptInMs ?? 0) > 0)).toBe(true);
  });

  it("dead-letters after the attempt limit with the history, and one redrive delivers it once", async () => {
    const id = hubId("down");
    await bed.toOutbox("ep-down", id);
    const dead = await waitFor(() => bed.events.of("dead-lettered", id)[0], "dead-lettered event");
    expect(dead).toMatchObject({
      endpoint: "ep-down",
      stage: "dispatcher",
      attempts: 3,
      reason: { code: "CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED" },
    });
    expect(receivers.down.requests).toHaveLength(3);
    const letter = await bed.bus.jsm.streams.getMessage(bed.bus.topology.streams.dlq, {
      last_by_subj: bed.bus.topology.subjects.dlq("dispatcher"),
    });
    expect(letter?.header?.get("Carehub-Hub-Id")).toBe(id);
    expect(letter?.header?.get("Carehub-Error-Code")).toBe("CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED");
    const reason = letter?.header?.get("Carehub-Error-Message") ?? "";
    for (const n of [1, 2, 3]) expect(reason).toMatch(new RegExp(`#${n} \\S+ CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE`));

    receivers.down.behaviour = () => ({ status: 202 });
    const report = await redriveDeadLetters(bed.bus, { endpoint: "ep-down" });
    expect(report).toEqual({ redriven: 1, hubIds: [id] });
    // The `replayed` event is stored before the copy is put back on OUTBOX, so nothing the copy causes (its
    // `delivered`) can come before it in the timeline.
    const storedAt = async (stream: string, subject: string) =>
      (await bed.bus.jsm.streams.getMessage(stream, { last_by_subj: subject }))?.time.getTime() ?? Number.NaN;
    const replayedAt = await storedAt(bed.bus.topology.streams.events, bed.bus.topology.subjects.events("replayed"));
    const putBackAt = await storedAt(bed.bus.topology.streams.outbox, bed.bus.topology.subjects.outbox("ep-down"));
    expect(replayedAt).toBeLessThanOrEqual(putBackAt);
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered after redrive");
    await bed.idle("ep-down");
    expect(receivers.down.accepted()).toEqual([id]);
    expect(bed.events.of("replayed", id)).toHaveLength(1);
    expect(await bed.redis.exists(`${ns}:dead:ep-down:${id}`)).toBe(0);
  });

  it("dead-letters a message the endpoint refuses (4xx) at once, without retrying", async () => {
    const deadLetters = () =>
      metricValue("carehub_dead_letters_total", { endpoint: "ep-refusing", code: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED" });
    const before = await deadLetters();
    const id = hubId("refused");
    await bed.toOutbox("ep-refusing", id);
    const dead = await waitFor(() => bed.events.of("dead-lettered", id)[0], "dead-lettered event");
    expect(dead).toMatchObject({ attempts: 1, reason: { code: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED" } });
    expect((await deadLetters()) - before).toBe(1);
    expect(receivers.refusing.requests).toHaveLength(1);
    expect(bed.events.of("delivery-failed", id)[0]?.nextAttemptInMs).toBeUndefined();
  });

  it("dead-letters a notification whose expiry has passed as expired, without calling the endpoint; delivers one still valid", async () => {
    const before = receivers.plain.requests.length;
    const expired = hubId("expired");
    await bed.toOutbox("ep-plain", expired, { expires: new Date(Date.now() - 1_000).toISOString() });
    const dead = await waitFor(() => bed.events.of("dead-lettered", expired)[0], "dead-lettered event");
    expect(dead).toMatchObject({ endpoint: "ep-plain", reason: { code: "CAREHUB_ERR_DELIVERY_EXPIRED" } });
    const valid = hubId("valid");
    await bed.toOutbox("ep-plain", valid, { expires: new Date(Date.now() + 60_000).toISOString() });
    await waitFor(() => bed.events.of("delivered", valid)[0], "the valid notification delivered");
    const calls = receivers.plain.requests.slice(before).map((r) => r.headers["carehub-hub-id"]);
    expect(calls).toEqual([valid]);
  });

  it("keeps a slow endpoint from delaying another endpoint's traffic", async () => {
    const slow = Array.from({ length: 8 }, () => hubId("slow"));
    const fast = Array.from({ length: 5 }, () => hubId("fast"));
    for (const id of slow) await bed.toOutbox("ep-slow", id);
    for (const id of fast) await bed.toOutbox("ep-fast", id);
    await waitFor(() => receivers.fast.accepted().length === 5, "all fast deliveries", 10_000);
    // The slow endpoint (4 at a time, 2 s each) is still at its first round: the fast one did not queue behind
    // it (an order of events rather than a wall-clock bound, which a busy CI machine would break).
    expect(receivers.slow.accepted().length).toBeLessThanOrEqual(4);
    await waitFor(() => slow.every((id) => bed.events.of("delivered", id).length === 1), "slow deliveries", 15_000);
  });

  it("holds a correction until its original reached the receiver, without counting attempts", async () => {
    const original = hubId("orig-ok");
    const correction = hubId("corr-ok");
    await bed.toOutbox("ep-ordered", correction, { after: original });
    await sleep(300);
    expect(receivers.ordered.requests).toHaveLength(0);
    await bed.toOutbox("ep-ordered", original);
    await waitFor(() => bed.events.of("delivered", correction)[0], "correction delivered");
    expect(receivers.ordered.accepted()).toEqual([original, correction]);
    expect(bed.events.of("delivery-failed", correction)).toHaveLength(0);
    expect(bed.events.of("delivered", correction)[0]?.attempt).toBe(1);
  });

  it("dead-letters a correction whose original was dead-lettered, and a redrive of both delivers them in order", async () => {
    const original = hubId("orig");
    const correction = hubId("corr");
    await bed.toOutbox("ep-ordered-dead", original);
    await bed.toOutbox("ep-ordered-dead", correction, { after: original });
    const dead = await waitFor(() => bed.events.of("dead-lettered", correction)[0], "correction dead-lettered");
    expect(dead.reason.code).toBe("CAREHUB_ERR_DELIVERY_PREDECESSOR_DEAD_LETTERED");
    expect(dead.reason.message).toContain(original);
    expect(receivers.orderedDead.hubIds()).toEqual([original]);

    receivers.orderedDead.behaviour = () => ({ status: 202 });
    expect((await redriveDeadLetters(bed.bus, { endpoint: "ep-ordered-dead" })).redriven).toBe(2);
    await waitFor(() => bed.events.of("delivered", correction)[0], "correction delivered after redrive");
    expect(receivers.orderedDead.accepted()).toEqual([original, correction]);
  });

  it("opens the circuit after consecutive failures, keeps calls away during the cool-down, and closes on a good probe", async () => {
    const ids = Array.from({ length: 5 }, () => hubId("cb"));
    for (const id of ids) await bed.toOutbox("ep-circuit", id);
    await waitFor(
      async () => parseCircuitState(await bed.redis.get(`${ns}:cb:ep-circuit`)).state === "open",
      "the circuit to open",
    );
    const openedAt = Date.now();
    await sleep(50); // calls permitted just before it opened may still be arriving
    const callsWhenOpened = receivers.circuit.requests.length;
    await sleep(350);
    // Without the breaker the five messages would be retried every 40-160 ms.
    expect(receivers.circuit.requests.length).toBe(callsWhenOpened);
    receivers.circuit.behaviour = () => ({ status: 202 });
    await waitFor(() => ids.every((id) => bed.events.of("delivered", id).length === 1), "deliveries after recovery");
    const firstAfter = receivers.circuit.requests[callsWhenOpened];
    expect((firstAfter?.at ?? 0) - openedAt).toBeGreaterThanOrEqual(500);
    expect(parseCircuitState(await bed.redis.get(`${ns}:cb:ep-circuit`))).toEqual({ state: "closed", failures: 0 });
    expect(bed.events.of("dead-lettered").filter((e) => ids.includes(e.hubId))).toHaveLength(0);
  });

  it("delivers to a NATS-mode endpoint's inbox with dedup id = hub id", async () => {
    const id = hubId("inbox");
    await bed.toOutbox("ep-inbox", id, { body: "<inbox/>" });
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered event");
    const stored = await bed.bus.jsm.streams.getMessage(bed.bus.topology.streams.inbox, {
      last_by_subj: bed.bus.topology.subjects.inbox("ep-inbox"),
    });
    expect(stored?.header?.get("Nats-Msg-Id")).toBe(id);
    expect(stored?.header?.get("Carehub-Message-Id")).toBe(`msg-${id}`);
    expect(new TextDecoder().decode(stored?.data)).toBe("<inbox/>");
  });

  it("follows the registry: a removed endpoint's consumer stops, an added one starts", async () => {
    const current = registry.current();
    registry.set(testRegistry([...current.endpoints().filter((e) => e.id !== "ep-inbox"), testEndpoint("ep-new")]));
    await dispatcher.sync();
    expect(dispatcher.endpoints()).toContain("ep-new");
    expect(dispatcher.endpoints()).not.toContain("ep-inbox");
  });
});
