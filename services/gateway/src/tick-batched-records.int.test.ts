import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tickBatchedRecords } from "./tick-batched-records.ts";

describe("tickBatchedRecords against real Redis", () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await openTestNamespace("gwrec");
    await ns.redis.ping();
  });
  afterAll(async () => {
    await ns?.close();
  });

  /** Socket writes of the client while `work` runs. */
  async function writesDuring(work: () => Promise<unknown>): Promise<number> {
    const stream = ns.redis.stream;
    const write = stream.write;
    let writes = 0;
    stream.write = function (this: typeof stream, ...args: Parameters<typeof write>) {
      writes++;
      return write.apply(this, args);
    } as typeof write;
    try {
      await work();
    } finally {
      stream.write = write;
    }
    return writes;
  }

  it("sends the records of one tick as one write, each with its own reply (SET NX: the first record is kept)", async () => {
    const redis = tickBatchedRecords(ns.redis);
    const key = (i: number) => `${ns.namespace}:msgid:sender:${i}`;
    const replies: unknown[] = [];
    const writes = await writesDuring(async () => {
      const sets = Array.from({ length: 20 }, (_, i) => redis.set(key(i % 10), String(i + 1), "EX", 60, "NX"));
      replies.push(...(await Promise.all(sets)));
    });
    expect(writes).toBe(1);
    expect(replies).toEqual([...Array.from({ length: 10 }, () => "OK"), ...Array.from({ length: 10 }, () => null)]);
    expect(await ns.redis.mget(key(0), key(9))).toEqual(["1", "10"]);
    expect(await ns.redis.ttl(key(0))).toBeGreaterThan(50);
  });

  it("fails only the record Redis refuses, and sends records of later ticks on their own", async () => {
    const redis = tickBatchedRecords(ns.redis);
    const [good, bad] = await Promise.allSettled([
      redis.set(`${ns.namespace}:msgid:sender:good`, "1", "EX", 60, "NX"),
      redis.set(`${ns.namespace}:msgid:sender:bad`, "1", "EX", -5, "NX"),
    ]);
    expect(good).toEqual({ status: "fulfilled", value: "OK" });
    expect(bad.status).toBe("rejected");
    const writes = await writesDuring(async () => {
      await redis.set(`${ns.namespace}:msgid:sender:a`, "1", "EX", 60, "NX");
      await redis.set(`${ns.namespace}:msgid:sender:b`, "1", "EX", 60, "NX");
    });
    expect(writes).toBe(2);
    expect(await redis.mget(`${ns.namespace}:msgid:sender:a`, `${ns.namespace}:msgid:sender:b`)).toEqual(["1", "1"]);
  });
});
