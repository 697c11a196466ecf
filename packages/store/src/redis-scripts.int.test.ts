import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareAndSet, compareAndSetMany, opArguments } from "./redis-scripts.ts";

// The compare-and-set script compares what Redis holds with a digest of what the caller read
// (docs/decisions/0092), not with the value itself: these tests hold it to the same answers as a full compare.

let redis: Redis;
const used: string[] = [];

function newKey(): string {
  const key = `t-cas-${randomUUID().slice(0, 8)}`;
  used.push(key, `${key}:idx`);
  return key;
}

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  if (used.length > 0) await redis.del(...used);
  await redis.quit();
});

describe("compare-and-set by digest", () => {
  // Catches: a digest computed over other bytes than Redis hashes (UTF-16, or Latin-1 for æøå): every write
  // with an expectation would fail for ever on a record with a Danish name in it.
  it.each([
    ["plain ASCII", '{"s":"lab-1","r":["gp-1"]}'],
    ["Danish letters", '{"n":"Sønderborg Lægehus, Åbenrå","d":"Blodprøve æøå ÆØÅ"}'],
    ["characters outside the BMP", '{"n":"😀 𝔘"}'],
  ])("writes when Redis holds exactly what the caller read (%s)", async (_, value) => {
    const key = newKey();
    await redis.set(key, value);
    const next = `${value}+1`;
    const written = await compareAndSet(redis, {
      key,
      expected: value,
      value: next,
      ops: [{ op: "zadd", key: `${key}:idx`, score: 1, member: "m" }],
    });
    expect(written).toBe(true);
    expect(await redis.get(key)).toBe(next);
    expect(await redis.zscore(`${key}:idx`, "m")).toBe("1");
  });

  // Catches: a compare that passes on anything present (the digest ignored), so a tracker copy overwrites
  // what another wrote since it read, and its index and counter writes go with it.
  it("writes nothing, ops included, when the record changed since it was read", async () => {
    const key = newKey();
    await redis.set(key, "read-by-me");
    await redis.set(key, "written-by-another-copy");
    const written = await compareAndSet(redis, {
      key,
      expected: "read-by-me",
      value: "mine",
      ops: [{ op: "hincr", key: `${key}:idx`, field: "f", by: 1 }],
    });
    expect(written).toBe(false);
    expect(await redis.get(key)).toBe("written-by-another-copy");
    expect(await redis.exists(`${key}:idx`)).toBe(0);
  });

  // Catches: "absent" and "present" confused: a record created meanwhile overwritten by one read as missing,
  // or a record deleted meanwhile brought back by one read as present.
  it("tells a missing record from a present one, each record of a batch on its own", async () => {
    const [created, deleted, unchanged] = [newKey(), newKey(), newKey()];
    await redis.set(created, "created-meanwhile");
    await redis.set(unchanged, "same");
    const results = await compareAndSetMany(redis, [
      { key: created, expected: null, value: "mine", ops: [] },
      { key: deleted, expected: "was-here", value: "mine", ops: [] },
      { key: unchanged, expected: "same", value: "mine", ops: [] },
    ]);
    expect(results).toEqual([false, false, true]);
    expect(await redis.get(created)).toBe("created-meanwhile");
    expect(await redis.exists(deleted)).toBe(0);
    expect(await redis.get(unchanged)).toBe("mine");
  });
});

describe("a record's ops", () => {
  // Catches: the overall and the day's counter of one field sent as two ops (the bytes 'h2' saves), or fields
  // that differ in field or amount merged into one.
  it("sends a field moved alike in two hashes as one op, and everything else as it was", () => {
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    const args = opArguments(
      [
        { op: "zrem", key: "st:routed", member: "m" },
        { op: "zadd", key: "st:delivered", score: 5, member: "m" },
        { op: "hincr", key: "stats", field: "f|a|k|routed", by: -1 },
        { op: "hincr", key: "stats", field: "f|a|k|delivered", by: 1 },
        { op: "hincr", key: "day", field: "f|a|k|routed", by: -1 },
        { op: "hincr", key: "day", field: "f|a|k|delivered", by: 2 },
        { op: "pexpireat", key: "day", at: 99.4 },
      ],
      indexOf,
    );
    expect(args).toEqual([
      ...["zr", 1, "m"],
      ...["za", 2, 5, "m"],
      ...["h2", 3, 4, -1, "f|a|k|routed"],
      ...["hi", 3, 1, "f|a|k|delivered"],
      ...["hi", 4, 2, "f|a|k|delivered"],
      ...["px", 4, 99],
    ]);
  });

  // Catches: a merged op applied to one hash only, a counter left at 0 instead of removed, or the day hash's
  // expiry set before an increment re-creates it.
  it("moves both hashes' counters, removes a counter that reaches 0, and leaves the expiry on", async () => {
    const key = newKey();
    const [stats, day] = [`${key}:stats`, `${key}:day`];
    used.push(stats, day);
    const at = Date.now() + 3_600_000;
    await redis.hset(stats, "old", 1);
    await redis.hset(day, "old", 1);
    const written = await compareAndSet(redis, {
      key,
      expected: null,
      value: "v",
      ops: [
        { op: "hincr", key: stats, field: "old", by: -1 },
        { op: "hincr", key: stats, field: "new", by: 1 },
        { op: "hincr", key: day, field: "old", by: -1 },
        { op: "hincr", key: day, field: "new", by: 1 },
        { op: "pexpireat", key: day, at },
      ],
    });
    expect(written).toBe(true);
    expect(await redis.hgetall(stats)).toEqual({ new: "1" });
    expect(await redis.hgetall(day)).toEqual({ new: "1" });
    expect(await redis.pexpiretime(day)).toBe(at);
  });
});
