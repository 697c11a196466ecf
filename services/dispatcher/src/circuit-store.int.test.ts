import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupTestNamespace, connectTestRedis, testNamespace } from "../test/support.ts";
import type { CircuitPolicy } from "./circuit-breaker.ts";
import { CircuitStore } from "./circuit-store.ts";

const ns = testNamespace("cb");
const policy: CircuitPolicy = { failureThreshold: 3, cooldownMs: 1_000, probeLeaseMs: 5_000 };
let redis: Redis;
let clock = 1_000_000;
const now = () => clock;
const key = (endpoint: string) => `${ns}:cb:${endpoint}`;

beforeAll(() => {
  redis = connectTestRedis();
});
afterAll(async () => {
  await cleanupTestNamespace(undefined, redis, ns);
});

describe("CircuitStore (two dispatcher copies sharing one Redis)", () => {
  it("lets failures seen by different copies add up, and an opened circuit stops both", async () => {
    const copyA = new CircuitStore(redis, key, policy, now);
    const copyB = new CircuitStore(redis, key, policy, now);
    await copyA.recordFailure("ep-1");
    await copyB.recordFailure("ep-1");
    expect((await copyA.permit("ep-1")).permitted).toBe(true);
    await copyA.recordFailure("ep-1");
    expect(await copyB.state("ep-1")).toMatchObject({ state: "open", failures: 3 });
    expect(await copyA.permit("ep-1")).toEqual({ permitted: false, retryInMs: 1_000 });
    expect(await copyB.permit("ep-1")).toEqual({ permitted: false, retryInMs: 1_000 });
  });

  it("grants exactly one probe when many copies ask at once after the cool-down", async () => {
    const copies = Array.from({ length: 8 }, () => new CircuitStore(redis, key, policy, now));
    for (let i = 0; i < 3; i++) await copies[0]?.recordFailure("ep-2");
    clock += 1_000;
    const permits = await Promise.all(copies.map((copy) => copy.permit("ep-2")));
    expect(permits.filter((p) => p.permitted)).toHaveLength(1);
    expect(permits.filter((p) => p.permitted && p.probe)).toHaveLength(1);
  });

  it("closes for everyone when the probe succeeds", async () => {
    const copyA = new CircuitStore(redis, key, policy, now);
    const copyB = new CircuitStore(redis, key, policy, now);
    for (let i = 0; i < 3; i++) await copyA.recordFailure("ep-3");
    clock += 1_000;
    expect((await copyA.permit("ep-3")).permitted).toBe(true);
    expect((await copyB.permit("ep-3")).permitted).toBe(false);
    await copyA.recordSuccess("ep-3");
    expect(await copyB.permit("ep-3")).toMatchObject({ permitted: true, probe: false });
    expect(await copyB.state("ep-3")).toEqual({ state: "closed", failures: 0 });
  });

  it("does not write on the hot path of a healthy endpoint", async () => {
    const copy = new CircuitStore(redis, key, policy, now);
    expect((await copy.permit("ep-4")).permitted).toBe(true);
    await copy.recordSuccess("ep-4");
    expect(await redis.exists(key("ep-4"))).toBe(0);
  });
});

describe("CircuitStore with the state read by the delivery check (no read of its own)", () => {
  // Catches: a permit from a state read elsewhere that skips the compare-and-set (every copy probes at once).
  it("still grants exactly one probe when every copy asks with the state it read", async () => {
    const copies = Array.from({ length: 8 }, () => new CircuitStore(redis, key, policy, now));
    for (let i = 0; i < 3; i++) await copies[0]?.recordFailure("ep-5");
    clock += 1_000;
    const raw = await redis.get(key("ep-5"));
    const permits = await Promise.all(copies.map((copy) => copy.permit("ep-5", { raw })));
    expect(permits.filter((p) => p.permitted)).toHaveLength(1);
  });

  // Catches: a success that trusts a stored "closed" it did not read, leaving a probing circuit half-open.
  it("closes a probing circuit from the state read with the delivered marker", async () => {
    const copy = new CircuitStore(redis, key, policy, now);
    for (let i = 0; i < 3; i++) await copy.recordFailure("ep-6");
    clock += 1_000;
    expect(await copy.permit("ep-6", { raw: await redis.get(key("ep-6")) })).toMatchObject({ probe: true });
    await copy.recordSuccess("ep-6", { raw: await redis.get(key("ep-6")) });
    expect(await copy.state("ep-6")).toEqual({ state: "closed", failures: 0 });
  });
});
