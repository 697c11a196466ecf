import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodOf, statDay } from "./day-stats.ts";
import { event, happyPath, labResult } from "./events.test-support.ts";
import { createStore, type ReadModelStore } from "./store.ts";

const DAY = 86_400_000;
// Noon UTC two days ago: three days of traffic all inside the retention.
const TODAY = Date.parse(`${statDay(Date.now())}T12:00:00.000Z`);
const D1 = TODAY - 2 * DAY;
const D2 = TODAY - DAY;
const stores: ReadModelStore[] = [];
let redis: Redis;

function newStore(): ReadModelStore {
  const store = createStore({
    redis,
    namespace: `t-days-${randomUUID().slice(0, 8)}`,
    retentionDays: 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => undefined,
    staleLimits: {},
  });
  stores.push(store);
  return store;
}

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const store of stores) await store.dropReadModel();
  await redis.quit();
});

describe("day-bucketed statistics", () => {
  it("counts each message under the day it was received, and moves the day's counter as its status moves", async () => {
    const store = newStore();
    for (const e of happyPath("d-1", D1, { acknowledge: false })) await store.applyEvent(e);
    for (const e of happyPath("d-2", D2, { acknowledge: true })) await store.applyEvent(e);
    for (const e of happyPath("d-3", D2 + 60_000, { acknowledge: true })) await store.applyEvent(e);
    // Redelivered events change nothing (the record already holds them).
    for (const e of happyPath("d-3", D2 + 60_000, { acknowledge: true })) await store.applyEvent(e);

    const stats = await store.periodStats({ from: statDay(D1), to: statDay(TODAY), period: "day" });
    expect(stats.periods).toEqual([statDay(D1), statDay(D2), statDay(TODAY)]);
    const sent = stats.messages.filter((r) => r.role === "sender");
    // Catches: counting under the write time instead of the receive time, counting a redelivery twice, or
    // leaving the `delivered` count behind when the acknowledgement moves the message on.
    expect(sent).toEqual([
      {
        period: statDay(D1),
        endpoint: "gp-1",
        role: "sender",
        kind: "care-communication",
        status: "delivered",
        count: 1,
      },
      {
        period: statDay(D2),
        endpoint: "gp-1",
        role: "sender",
        kind: "care-communication",
        status: "acknowledged",
        count: 2,
      },
    ]);
    // The overall counters are the sum of the days.
    const overall = await store.statusCounts();
    const totalDays = stats.messages.reduce((n, r) => n + r.count, 0);
    expect(overall.items.reduce((n, r) => n + r.count, 0)).toBe(totalDays);

    // A week and a month sum the days.
    const weekly = await store.periodStats({ from: statDay(D1), to: statDay(D2), period: "week" });
    const weeks = new Set([periodOf(statDay(D1), "week"), periodOf(statDay(D2), "week")]);
    expect(weekly.periods).toEqual([...weeks]);
    expect(weekly.messages.filter((r) => r.role === "sender").reduce((n, r) => n + r.count, 0)).toBe(3);
  });

  it("expires each day's counters with the retention, one small hash per day whatever the traffic", async () => {
    const store = newStore();
    for (let i = 0; i < 20; i++) for (const e of happyPath(`x-${i}`, D2 + i * 1_000)) await store.applyEvent(e);
    const key = store.keys.statsDay(statDay(D2));
    // Catches: a hash without expiry (kept for ever) or one expiring with the first message instead of the day.
    const expiresAt = Number(await redis.call("PEXPIRETIME", key));
    expect(expiresAt).toBe(Date.parse(`${statDay(D2)}T00:00:00.000Z`) + DAY + 30 * DAY + DAY);
    // Catches: a field per message (the footprint must not grow with the traffic).
    expect(await redis.hlen(key)).toBe(2);
  });

  it("counts the analysis codes of a lab result once, on the day it was received", async () => {
    const store = newStore();
    const first = labResult("l-1", D2, ["NPU01807", "NPU02319", "NPU01807"]);
    await store.applyEnvelope(first);
    // Redelivered envelope: the record does not change, so nothing is counted again.
    await store.applyEnvelope(first);
    await store.applyEnvelope(labResult("l-2", D2 + 1_000, ["NPU02319", "bad|code"]));
    await store.applyEvent(
      event("received", "l-2", D2 + 1_000, {
        messageId: "msg-l-2",
        sourceEndpoint: "lab-1",
        kind: "lab-result",
        contentType: "application/xml",
        size: 10,
      }),
    );
    const stats = await store.periodStats({ from: statDay(D2), to: statDay(D2), period: "month" });
    expect(stats.analyses).toEqual([
      { period: statDay(D2).slice(0, 7), sender: "lab-1", kind: "lab-result", code: "NPU01807", count: 1 },
      { period: statDay(D2).slice(0, 7), sender: "lab-1", kind: "lab-result", code: "NPU02319", count: 2 },
      { period: statDay(D2).slice(0, 7), sender: "lab-1", kind: "lab-result", code: "other", count: 1 },
    ]);
  });

  it("refuses a reversed range or one longer than the limit", async () => {
    const store = newStore();
    await expect(store.periodStats({ from: "2026-02-01", to: "2026-01-01", period: "day" })).rejects.toThrow(
      /invalid query/,
    );
    await expect(store.periodStats({ from: "2020-01-01", to: "2026-01-01", period: "day" })).rejects.toThrow(
      /at most 400 days/,
    );
  });
});
