import { randomUUID } from "node:crypto";
import { encodeDeliveryRecord } from "@carehub/ledger";
import type { Endpoint } from "@carehub/schemas";
import { type RedisServerHandle, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEndpoint, testRegistry } from "../test/support.ts";
import type { CircuitPolicy } from "./circuit-breaker.ts";
import { CircuitStore } from "./circuit-store.ts";
import { DeliveryState } from "./delivery-state.ts";
import type { DispatchEvent } from "./dispatch-events.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { dispatchOne, type EndpointDispatchDeps } from "./endpoint-dispatch.ts";
import { OUTBOX_HEADER } from "./outbox-message.ts";

/*
 * Round trips per delivery: the pre-delivery check also counts the attempt when nothing stands in the way and
 * the endpoint's circuit is closed, so a delivery to a healthy endpoint is one script call before the endpoint
 * is called and one after it. What needs the circuit store (an open or half-open circuit's probe),
 * waits for a predecessor or pauses for a backoff is not counted in the check. A private Redis, so its command
 * counters belong to this file.
 */

const ns = "t-roundtrips";
const keys = dispatchKeys(ns);
const policy: CircuitPolicy = { failureThreshold: 2, cooldownMs: 1_000, probeLeaseMs: 5_000 };
let server: RedisServerHandle;
let redis: Redis;
let clock = 1_000_000;

async function calls(): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  const out: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) out[match[1] as string] = Number(match[2]);
  return out;
}

function outboxCopy(hubId: string, seq: number) {
  return {
    headers: {
      [OUTBOX_HEADER.hubId]: hubId,
      [OUTBOX_HEADER.sourceEndpoint]: "sender-x",
      [OUTBOX_HEADER.messageId]: `msg-${hubId}`,
      [OUTBOX_HEADER.kind]: "lab-result",
      [OUTBOX_HEADER.contentType]: "application/xml",
    },
    data: new TextEncoder().encode("<letter/>"),
    seq,
    deliveryCount: 1,
    storedAtMs: Date.now(),
  };
}

/** What dispatchOne needs for an endpoint that answers 202 to every call; each call and event is recorded. */
function healthyEndpoint(endpointId: string) {
  const endpoint = testRegistry([testEndpoint(endpointId)]).endpoints()[0] as Endpoint;
  const calls: Array<{ hubId: string; attempt: number }> = [];
  const events: DispatchEvent[] = [];
  const deps: EndpointDispatchDeps = {
    endpointId,
    endpoint: () => endpoint,
    state: new DeliveryState(redis, keys, 3_600),
    circuits: new CircuitStore(redis, keys.circuit, policy, () => clock),
    emit: async (event) => {
      events.push(event);
    },
    deliver: async (_endpoint, message) => {
      calls.push({ hubId: message.hubId, attempt: message.attempt });
      return { ok: true, status: 202 };
    },
    policy: {
      backoff: { initialMs: 10, factor: 2, maxMs: 100, jitter: 0 },
      predecessorPollMs: 10,
      maxWaitMs: 1_000,
      retryWindowCapMs: 60_000,
    },
    now: () => clock,
    random: () => 0.5,
  };
  return { deps, calls, events };
}

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

describe("round trips per delivery", () => {
  // Catches: the attempt counted in a second script call of its own (three round trips per delivery again), the
  // delivered marker written as a transaction again (six commands), or a script's text sent with every delivery.
  it("delivers to a healthy endpoint with one script call before the call and one after it", async () => {
    const { deps, calls: delivered } = healthyEndpoint("ep-healthy");
    await dispatchOne(outboxCopy("h-warm", 1), deps); // connection set-up stays out of the count
    await redis.config("RESETSTAT");
    for (let i = 0; i < 5; i++) await dispatchOne(outboxCopy(`h-${i}`, 10 + i), deps);
    const counted = await calls();
    // The check and the delivered marker are sent as EVALSHA (defined once on the client), not with the scripts'
    // text every time: two commands per delivery.
    expect({ eval: counted.eval, evalsha: counted.evalsha, multi: counted.multi, exec: counted.exec }).toEqual({
      eval: undefined,
      evalsha: 10,
      multi: undefined,
      exec: undefined,
    });
    expect(delivered.map((call) => call.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await redis.hexists(keys.markers("h-4"), keys.deliveredField("ep-healthy"))).toBe(1);
    expect(await redis.exists(keys.delivered("ep-healthy", "h-4"))).toBe(0); // no key of its own per delivery
    // The attempt bookkeeping goes with the delivery: nothing of it is kept for the retention period.
    expect(await redis.exists(keys.attempts("ep-healthy", "h-4"))).toBe(0);
  });

  // Catches: the check counting attempts against an endpoint whose circuit is open (attempts used up without one
  // call, then dead-lettered), or taking a half-open circuit's probe without claiming it.
  it("counts nothing in the check while the circuit is open or half-open", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const circuits = new CircuitStore(redis, keys.circuit, policy, () => clock);
    await circuits.recordFailure("ep-open");
    await circuits.recordFailure("ep-open");
    const open = await state.check("ep-open", "h-open", undefined, "1", { mayBegin: true, now: clock });
    expect(open.begun).toBeUndefined();
    clock += policy.cooldownMs; // cool-down over: the next permit would be a probe, which only the circuit store grants
    const probe = await state.check("ep-open", "h-open", undefined, "1", { mayBegin: true, now: clock });
    expect(probe.begun).toBeUndefined();
    expect(await redis.hget(keys.attempts("ep-open", "h-open"), "attempts")).toBe("0");
  });

  // Catches: an attempt counted while the copy waits for its predecessor or pauses after a failure, or for a
  // message the caller knows it cannot send (expired, endpoint unknown).
  it("counts nothing while a predecessor is pending, during a backoff pause, or when the caller says not to", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const waiting = await state.check("ep-w", "h-second", "h-first", "7", { mayBegin: true, now: clock });
    expect(waiting).toMatchObject({ predecessor: "pending" });
    expect(waiting.begun).toBeUndefined();
    const barred = await state.check("ep-w", "h-x", undefined, "8", { mayBegin: false, now: clock });
    expect(barred.begun).toBeUndefined();
    await state.recordFailedAttempt(
      "ep-w",
      "h-x",
      { attempt: 1, at: new Date(clock).toISOString(), code: "CAREHUB_ERR_DELIVERY_HTTP_5XX", message: "503" },
      clock + 5_000,
    );
    const paused = await state.check("ep-w", "h-x", undefined, "8", { mayBegin: true, now: clock });
    expect(paused.begun).toBeUndefined();
    const later = await state.check("ep-w", "h-x", undefined, "8", { mayBegin: true, now: clock + 5_000 });
    expect(later.begun).toEqual({ attempt: 1, counted: 1, total: 1, previousMayHaveArrived: false });
  });

  // Catches: the merged check losing the wire-duplicate signal (an attempt that never reported back).
  it("tells that the copy's previous attempt never reported back when it counts the next one", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const first = await state.check("ep-d", "h-died", undefined, "3", { mayBegin: true, now: clock });
    expect(first.begun).toEqual({ attempt: 1, counted: 1, total: 1, previousMayHaveArrived: false });
    // The process died during the call: nothing recorded. The redelivered copy is looked at again.
    const second = await state.check("ep-d", "h-died", undefined, "3", { mayBegin: true, now: clock });
    expect(second.begun).toEqual({ attempt: 2, counted: 2, total: 2, previousMayHaveArrived: true });
  });
});

describe("plain acks on OUTBOX (docs/decisions/0090)", () => {
  // Catches: the delivered marker no longer consulted before the call (or written after the ack): a copy whose ack
  // was lost — the dispatcher acks without waiting for the server's confirmation — would reach its receiver twice.
  it("hands a copy whose ack was lost back to a check that finds it delivered: no second call, the event again", async () => {
    const { deps, calls, events } = healthyEndpoint("ep-lost-ack");
    const copy = outboxCopy("h-lost-ack", 77);
    await dispatchOne(copy, deps);
    await dispatchOne({ ...copy, deliveryCount: 2 }, deps); // the same copy, redelivered after ack_wait
    expect(calls.map((call) => call.hubId)).toEqual(["h-lost-ack"]);
    expect(events.map((event) => [event.type, event.eventId, "attempt" in event ? event.attempt : undefined])).toEqual([
      ["delivered", "h-lost-ack:delivered:ep-lost-ack", 1],
      ["delivered", "h-lost-ack:delivered:ep-lost-ack", 1],
    ]);
  });
});

describe("delivered markers in the message's marker hash (docs/decisions/0063)", () => {
  // Catches: a delivered field of one receiver read as the message delivered to another (field not per receiver),
  // the marker written without a lifetime (kept forever), a dead marker outliving the delivery, or a successor not
  // seeing its predecessor's field.
  it("keeps one field per receiver in one hash per message, with the retention as its lifetime", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const record = { attempt: 1, durationMs: 5, at: new Date(clock).toISOString() };
    await redis.set(keys.deadLettered("ep-a", "h-mk"), "{}"); // an earlier copy's, as before a re-drive
    await state.markDelivered("ep-a", "h-mk", record);
    expect(await redis.exists(keys.deadLettered("ep-a", "h-mk"))).toBe(0);
    expect(await state.check("ep-a", "h-mk", undefined, "1")).toMatchObject({ delivered: record });
    expect((await state.check("ep-b", "h-mk", undefined, "1")).delivered).toBeUndefined();
    const ttl = await redis.ttl(keys.markers("h-mk"));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
    expect((await state.check("ep-a", "h-next", "h-mk", "2")).predecessor).toBe("delivered");
    expect((await state.check("ep-b", "h-next", "h-mk", "2")).predecessor).toBe("pending");
  });

  // Catches: an upgrade that stops reading the delivered markers of older releases (a key of their own per
  // receiver): a message delivered before the upgrade delivered again when its copy is redelivered, and a
  // correction of it waiting for ever for an original that has long arrived.
  it("still honours an older release's delivered key: no second delivery, and its successor goes", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const record = { attempt: 2, durationMs: 7, at: new Date(clock).toISOString() };
    await redis.set(keys.delivered("ep-old", "h-old"), JSON.stringify(record), "EX", 3_600);
    const again = await state.check("ep-old", "h-old", undefined, "9", { mayBegin: true, now: clock });
    expect(again.delivered).toEqual(record);
    expect(again.begun).toBeUndefined();
    const successor = await state.check("ep-old", "h-correction", "h-old", "10", { mayBegin: true, now: clock });
    expect(successor.predecessor).toBe("delivered");
    expect(successor.begun).toMatchObject({ attempt: 1 });
  });

  // Catches: an upgrade that reads the marker hash under its new name alone (0119): a message an older release
  // delivered into the hash under its whole hub id delivered again when its copy is redelivered, and a correction
  // of it waiting for ever for an original that has long arrived.
  it("still honours the delivered fields of an older release's marker hash under the whole hub id", async () => {
    const state = new DeliveryState(redis, keys, 3_600);
    const [old, correction] = [randomUUID(), randomUUID()];
    expect(keys.markers(old)).not.toBe(keys.formerMarkers(old));
    const record = { attempt: 1, durationMs: 4, at: new Date(clock).toISOString(), copy: 3 };
    await redis.hset(keys.formerMarkers(old), keys.deliveredField("ep-old"), encodeDeliveryRecord(record));
    const again = await state.check("ep-old", old, undefined, "3", { mayBegin: true, now: clock });
    expect(again.delivered).toEqual(record);
    expect(again.begun).toBeUndefined();
    const successor = await state.check("ep-old", correction, old, "11", { mayBegin: true, now: clock });
    expect(successor.predecessor).toBe("delivered");
    expect(successor.begun).toMatchObject({ attempt: 1 });
    // This release writes the hash under the 22 characters only.
    await state.markDelivered("ep-old", correction, { attempt: 1, durationMs: 4, at: new Date(clock).toISOString() });
    expect(await redis.hexists(keys.markers(correction), keys.deliveredField("ep-old"))).toBe(1);
    expect(await redis.exists(keys.formerMarkers(correction))).toBe(0);
  });
});
