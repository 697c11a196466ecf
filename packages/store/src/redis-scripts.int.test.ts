import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexEntries } from "./bucketed-index.ts";
import { bucketDirectory } from "./keys.ts";
import { compareAndSet, compareAndSetMany, opArguments, valueChange } from "./redis-scripts.ts";
import type { WriteOp } from "./write-plan.ts";

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

describe("a record rewritten as a change of what it held (0111)", () => {
  const padding = '"f":1796621647471,"t":0,"mi":"5Nd7lvaGQACAAAAAAAAAAA","k":1,"s":"acute-team"';
  // Catches: prefix or suffix counted in characters where Redis counts bytes (a record with æøå rebuilt with
  // bytes missing or doubled), an off-by-one in the script's rebuild, or a surrogate pair split between kept and
  // sent (an emoji stored as two replacement characters): the record Redis holds must be the new value exactly.
  it.each([
    [
      "a receiver and a hop added",
      `{${padding},"h":[["rc",0]]}`,
      `{${padding},"tb":"c7","r":{"gp":[1,0]},"h":[["rc",0],["ro",797]]}`,
    ],
    [
      "Danish letters around the change",
      `{"n":"Sønderborg Lægehus",${padding},"d":"Blodprøve æøå"}`,
      `{"n":"Sønderborg Lægehus",${padding},"x":"Å","d":"Blodprøve æøå"}`,
    ],
    [
      "a character outside the BMP where the two part",
      `{${padding},"n":"😀 ok ${padding}"}`,
      `{${padding},"n":"😁 ok ${padding}"}`,
    ],
    ["only appended", `{${padding}}`, `{${padding}},"more":1`],
    ["only cut", `{${padding},"gone":"soon"}`, `{${padding}}`],
  ])("holds the new value exactly (%s)", async (_, read, next) => {
    expect(valueChange(read, next)).toBeDefined();
    const key = newKey();
    await redis.set(key, read);
    const ops: WriteOp[] = [{ op: "hincr", key: `${key}:idx`, field: "f", by: 1 }];
    expect(await compareAndSet(redis, { key, expected: read, value: next, ops })).toBe(true);
    expect(await redis.get(key)).toBe(next);
    // The change's two lengths come before the ops: the ops are still read where they are.
    expect(await redis.hget(`${key}:idx`, "f")).toBe("1");
  });

  // Catches: a change applied to whatever Redis holds, unchecked: another copy's write since the read would
  // be spliced into this one's instead of the write being refused.
  it("is refused, and writes nothing, when the record changed since it was read", async () => {
    const key = newKey();
    const read = `{${padding},"h":[["rc",0]]}`;
    const other = `{${padding},"h":[["rc",0],["dl",3]]}`;
    await redis.set(key, other);
    const next = `{${padding},"h":[["rc",0],["ro",5]]}`;
    expect(valueChange(read, next)).toBeDefined();
    expect(await compareAndSet(redis, { key, expected: read, value: next, ops: [] })).toBe(false);
    expect(await redis.get(key)).toBe(other);
  });

  // Catches: a change sent where it saves nothing (short or wholly different values), which costs the script a
  // rebuild for no fewer bytes.
  it("sends the whole value when little of it is kept", () => {
    expect(valueChange('{"a":1}', '{"a":2}')).toBeUndefined();
    expect(valueChange(`{${padding}}`, `[${"x".repeat(padding.length)}]`)).toBeUndefined();
    expect(valueChange(`{${padding},"a":1}`, `{${padding},"a":22}`)).toEqual({
      prefixBytes: padding.length + 6,
      suffixBytes: 1,
      between: "22",
    });
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
      ...["mb", "m", 5],
      ...["rm", 1],
      ...["zm", 2],
      ...["h2", 3, 4, -1, "f|a|k|routed"],
      ...["hi", 3, 1, "f|a|k|delivered"],
      ...["hi", 4, 2, "f|a|k|delivered"],
      ...["px", 4, 99],
    ]);
  });

  // Catches: another member's entry or another score written as the record's own (a timer filed under the
  // message's member, an index entry at the timer's due time), or an expiry dropped instead of the repeat of it.
  it("sends the record's member and score once, and an expiry set twice alike once, where it last stood", () => {
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    const args = opArguments(
      [
        { op: "zrem", key: "st:routed", member: "m" },
        { op: "zadd", key: "st:delivered", score: 5, member: "m" },
        { op: "zadd", key: "to:gp", score: 5, member: "m" },
        { op: "zadd", key: "late", score: 7, member: "m" },
        { op: "zadd", key: "timers", score: 9, member: "ack|m|gp" },
        { op: "zrem", key: "timers", member: "ack|m|lab" },
        { op: "hincr", key: "day", field: "f", by: 1 },
        { op: "pexpireat", key: "day", at: 99 },
        { op: "hincr", key: "day", field: "a", by: 1 },
        { op: "pexpireat", key: "day", at: 99 },
        { op: "pexpireat", key: "other-day", at: 98 },
      ],
      indexOf,
    );
    expect(args).toEqual([
      ...["mb", "m", 5],
      ...["rm", 1],
      ...["zm", 2],
      ...["zm", 3],
      ...["za", 4, 7, "m"],
      ...["za", 5, 9, "ack|m|gp"],
      ...["zr", 5, "ack|m|lab"],
      ...["hi", 6, 1, "f"],
      ...["hi", 6, 1, "a"],
      ...["px", 6, 99],
      ...["px", 7, 98],
    ]);
    // A member named once is sent with its op, as before.
    expect(opArguments([{ op: "zadd", key: "k", score: 1, member: "m" }], indexOf)).toEqual(["za", 8, 1, "m"]);
  });

  // Catches: the script's short ops writing something else than the ops say (the member or score of another
  // op, an entry left in place): the same ops made one command at a time must leave Redis holding the same.
  it("leaves Redis holding what the ops, made one command at a time, leave", async () => {
    const [viaScript, byHand] = [newKey(), newKey()];
    const opsFor = (prefix: string): WriteOp[] => [
      { op: "zrem", key: `${prefix}:st:routed`, member: "m" },
      { op: "zadd", key: `${prefix}:st:delivered`, score: 5, member: "m" },
      { op: "zadd", key: `${prefix}:to:gp`, score: 5, member: "m" },
      { op: "zadd", key: `${prefix}:late`, score: 7, member: "m" },
      { op: "zadd", key: `${prefix}:timers`, score: 9, member: "ack|m|gp" },
      { op: "zrem", key: `${prefix}:timers`, member: "ack|m|lab" },
      { op: "hincr", key: `${prefix}:day`, field: "f", by: 1 },
      { op: "pexpireat", key: `${prefix}:day`, at: Date.now() + 3_600_000 },
    ];
    for (const prefix of [viaScript, byHand]) {
      const suffixes = ["st:routed", "st:delivered", "to:gp", "late", "timers", "day"];
      used.push(...suffixes.map((suffix) => `${prefix}:${suffix}`));
      await redis.zadd(`${prefix}:st:routed`, 1, "m", 1, "n");
      await redis.zadd(`${prefix}:timers`, 3, "ack|m|lab", 4, "ack|n|lab");
    }
    const at = Date.now() + 3_600_000;
    const scriptOps = opsFor(viaScript).map((op) => (op.op === "pexpireat" ? { ...op, at } : op));
    expect(await compareAndSet(redis, { key: viaScript, expected: null, value: "v", ops: scriptOps })).toBe(true);
    const handOps = opsFor(byHand).map((op) => (op.op === "pexpireat" ? { ...op, at } : op));
    for (const op of handOps) {
      if (op.op === "zadd") await redis.zadd(op.key, op.score, op.member);
      else if (op.op === "zrem") await redis.zrem(op.key, op.member);
      else if (op.op === "hincr") await redis.hincrby(op.key, op.field, op.by);
      else if (op.op === "pexpireat") await redis.pexpireat(op.key, op.at);
      else throw new Error(`this test writes no ${op.op} op`);
    }
    const contents = async (prefix: string) => ({
      routed: await redis.zrange(`${prefix}:st:routed`, 0, -1, "WITHSCORES"),
      delivered: await redis.zrange(`${prefix}:st:delivered`, 0, -1, "WITHSCORES"),
      gp: await redis.zrange(`${prefix}:to:gp`, 0, -1, "WITHSCORES"),
      late: await redis.zrange(`${prefix}:late`, 0, -1, "WITHSCORES"),
      timers: await redis.zrange(`${prefix}:timers`, 0, -1, "WITHSCORES"),
      day: await redis.hgetall(`${prefix}:day`),
      dayExpiry: await redis.pexpiretime(`${prefix}:day`),
    });
    const expected = await contents(byHand);
    expect(expected.delivered).toEqual(["m", "5"]);
    expect(await contents(viaScript)).toEqual(expected);
  });

  // Catches: a bucketed index's short op adding or removing another member or score than its op names (the
  // message listed at the wrong time, or left in the status it moved out of), or the short form not used.
  it("adds to and removes from bucketed indexes the record's member at its score, sent once", async () => {
    const [viaScript, byHand] = [newKey(), newKey()];
    const names = ["st:routed", "st:delivered", "to:gp", "kind"];
    for (const prefix of [viaScript, byHand]) {
      for (const name of names) used.push(`${prefix}:${name}`, bucketDirectory(`${prefix}:${name}`));
    }
    const opsFor = (prefix: string): WriteOp[] => [
      { op: "bzadd", key: `${prefix}:st:routed`, score: 5, member: "m" },
      { op: "bzadd", key: `${prefix}:kind`, score: 5, member: "other" },
      { op: "bzadd", key: `${prefix}:to:gp`, score: 3, member: "m" },
    ];
    const moveFor = (prefix: string): WriteOp[] => [
      { op: "bzrem", key: `${prefix}:st:routed`, score: 5, member: "m" },
      { op: "bzadd", key: `${prefix}:st:delivered`, score: 5, member: "m" },
      { op: "bzrem", key: `${prefix}:to:gp`, score: 3, member: "m" },
      { op: "bzadd", key: `${prefix}:to:gp`, score: 5, member: "m" },
    ];
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    expect(opArguments(moveFor(viaScript), indexOf)).toEqual([
      ...["mb", "m", 5],
      ...["bn", 1],
      ...["bm", 2],
      ...["br", 3, 3, "m"],
      ...["bm", 3],
    ]);
    await expectSameAsOneOpPerCall(viaScript, byHand, [opsFor, moveFor], names);
    expect(await indexEntries(redis, `${viaScript}:st:delivered`)).toEqual([{ member: "m", score: 5 }]);
    expect(await indexEntries(redis, `${viaScript}:st:routed`)).toEqual([]);
    expect(await indexEntries(redis, `${viaScript}:to:gp`)).toEqual([{ member: "m", score: 5 }]);
  });

  // Catches: a status change's two counters moved the wrong way (from the new status to the old), in one hash
  // only, or a move made of counters of different hashes or amounts.
  it("sends a count moved from one field to another in both hashes as one op", async () => {
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    const moved: WriteOp[] = [
      { op: "hincr", key: "stats", field: "t|gp|k|delivered", by: 1 },
      { op: "hincr", key: "stats", field: "t|gp|k|routed", by: -1 },
      { op: "hincr", key: "stats", field: "f|a|k|routed", by: -1 },
      { op: "hincr", key: "stats", field: "t|lab|k|routed", by: 1 },
      { op: "hincr", key: "day", field: "t|gp|k|delivered", by: 1 },
      { op: "hincr", key: "day", field: "t|gp|k|routed", by: -1 },
      { op: "hincr", key: "day", field: "f|a|k|routed", by: -1 },
      { op: "hincr", key: "day", field: "t|lab|k|routed", by: 1 },
      { op: "hincr", key: "other-day", field: "f|a|k|delivered", by: 1 },
      { op: "pexpireat", key: "day", at: 99 },
    ];
    expect(opArguments(moved, indexOf)).toEqual([
      ...["mv", 1, 2, "t|gp|k|routed", "t|gp|k|delivered"],
      ...["mv", 1, 2, "f|a|k|routed", "t|lab|k|routed"],
      ...["hi", 3, 1, "f|a|k|delivered"],
      ...["px", 2, 99],
    ]);
    const key = newKey();
    const [stats, day, otherDay] = [`${key}:stats`, `${key}:day`, `${key}:other-day`];
    used.push(stats, day, otherDay);
    const fields = { "t|gp|k|routed": 1, "f|a|k|routed": 2, "t|gp|k|delivered": 4 };
    await redis.hset(stats, fields);
    await redis.hset(day, { "t|gp|k|routed": 1, "f|a|k|routed": 2 });
    const at = Date.now() + 3_600_000;
    const named = moved.map((op) => ({ ...op, key: `${key}:${op.key}`, ...(op.op === "pexpireat" ? { at } : {}) }));
    expect(await compareAndSet(redis, { key, expected: null, value: "v", ops: named as WriteOp[] })).toBe(true);
    const after = { "f|a|k|routed": "1", "t|gp|k|delivered": "5", "t|lab|k|routed": "1" };
    expect(await redis.hgetall(stats)).toEqual(after);
    expect(await redis.hgetall(day)).toEqual({ "f|a|k|routed": "1", "t|gp|k|delivered": "1", "t|lab|k|routed": "1" });
    expect(await redis.hgetall(otherDay)).toEqual({ "f|a|k|delivered": "1" });
    expect(await redis.pexpiretime(day)).toBe(at);
  });

  // Catches: a count taken from one field paired with an addition that is not the last open one of its amount in
  // the same two hashes (the arguments then differ from what the records' writes sent before: cpr18's rewrite of
  // the pairing without texts), or with one of other hashes; and the counts in Redis not those of one op at a time.
  it("pairs a count taken with the last open addition of the same two hashes", async () => {
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    const ops: WriteOp[] = [
      { op: "hincr", key: "stats", field: "t|gp|k|routed", by: 1 },
      { op: "hincr", key: "stats", field: "t|lab|k|routed", by: 1 },
      { op: "hincr", key: "stats", field: "f|a|k|received", by: -1 },
      { op: "hincr", key: "other", field: "t|x|k|routed", by: 1 },
      { op: "hincr", key: "day", field: "t|gp|k|routed", by: 1 },
      { op: "hincr", key: "day", field: "t|lab|k|routed", by: 1 },
      { op: "hincr", key: "day", field: "f|a|k|received", by: -1 },
      { op: "hincr", key: "other-day", field: "t|x|k|routed", by: 1 },
    ];
    expect(opArguments(ops, indexOf)).toEqual([
      ...["h2", 1, 2, 1, "t|gp|k|routed"],
      ...["mv", 1, 2, "f|a|k|received", "t|lab|k|routed"],
      ...["h2", 3, 4, 1, "t|x|k|routed"],
    ]);
    const key = newKey();
    const named = ops.map((op) => ({ ...op, key: `${key}:${op.key}` }));
    used.push(...new Set(named.map((op) => op.key)));
    for (const hash of ["stats", "day"]) await redis.hset(`${key}:${hash}`, "f|a|k|received", 3);
    expect(await compareAndSet(redis, { key, expected: null, value: "v", ops: named })).toBe(true);
    const counts = { "f|a|k|received": "2", "t|gp|k|routed": "1", "t|lab|k|routed": "1" };
    expect(await redis.hgetall(`${key}:stats`)).toEqual(counts);
    expect(await redis.hgetall(`${key}:day`)).toEqual(counts);
    expect(await redis.hgetall(`${key}:other`)).toEqual({ "t|x|k|routed": "1" });
    expect(await redis.hgetall(`${key}:other-day`)).toEqual({ "t|x|k|routed": "1" });
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

  // Catches: a record whose listing time moved leaving its former positions at the wrong score (its bucket is
  // found by the score, so the old entries stay and the message is listed twice), or the short form not used.
  it("removes the record's member from its former positions at the former score, sent once", async () => {
    const [viaScript, byHand] = [newKey(), newKey()];
    const names = ["st:delivered", "to:gp", "kind", "from:lab"];
    for (const prefix of [viaScript, byHand]) {
      for (const name of names) {
        // Two buckets, from 0 and from 6: a removal at the wrong score looks in the wrong one.
        const dir = bucketDirectory(`${prefix}:${name}`);
        used.push(`${prefix}:${name}`, dir, `${dir}0`, `${dir}6`);
        await redis.zadd(dir, 0, "0", 6, "6");
        await redis.zadd(`${dir}0`, 1, "early");
      }
    }
    const before = (prefix: string): WriteOp[] => [
      ...names.map((name): WriteOp => ({ op: "bzadd", key: `${prefix}:${name}`, score: 7, member: "m" })),
      { op: "bzadd", key: `${prefix}:kind`, score: 7, member: "other" },
    ];
    const rescored = (prefix: string): WriteOp[] => [
      ...names.map((name): WriteOp => ({ op: "bzrem", key: `${prefix}:${name}`, score: 7, member: "m" })),
      ...names.map((name): WriteOp => ({ op: "bzadd", key: `${prefix}:${name}`, score: 5, member: "m" })),
    ];
    const index = new Map<string, number>();
    const indexOf = (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
    expect(opArguments(rescored(viaScript), indexOf)).toEqual([
      ...["mb", "m", 5],
      ...["mo", 7],
      ...[1, 2, 3, 4].flatMap((dir) => ["bo", dir]),
      ...[1, 2, 3, 4].flatMap((dir) => ["bm", dir]),
    ]);
    await expectSameAsOneOpPerCall(viaScript, byHand, [before, rescored], names);
    expect(await indexEntries(redis, `${viaScript}:to:gp`)).toEqual([
      { member: "early", score: 1 },
      { member: "m", score: 5 },
    ]);
    expect(await indexEntries(redis, `${viaScript}:kind`)).toEqual([
      { member: "early", score: 1 },
      { member: "m", score: 5 },
      { member: "other", score: 7 },
    ]);
  });
});

/**
 * Writes a record twice through the script, each time with one of `steps`' ops (two records: "1", then "2"), and
 * the same ops on `byHand` one op per call — each member named once, so every op goes in its long form — and
 * expects the bucketed indexes `names` to hold the same entries under both.
 */
async function expectSameAsOneOpPerCall(
  viaScript: string,
  byHand: string,
  steps: readonly [(prefix: string) => WriteOp[], (prefix: string) => WriteOp[]],
  names: readonly string[],
): Promise<void> {
  const [first, then] = steps;
  expect(await compareAndSet(redis, { key: viaScript, expected: null, value: "1", ops: first(viaScript) })).toBe(true);
  expect(await compareAndSet(redis, { key: viaScript, expected: "1", value: "2", ops: then(viaScript) })).toBe(true);
  for (const op of [...first(byHand), ...then(byHand)]) {
    const current = await redis.get(byHand);
    expect(await compareAndSet(redis, { key: byHand, expected: current, value: `${current ?? ""}+`, ops: [op] })).toBe(
      true,
    );
  }
  for (const name of names) {
    const expected = await indexEntries(redis, `${byHand}:${name}`);
    expect(await indexEntries(redis, `${viaScript}:${name}`), name).toEqual(expected);
  }
}
