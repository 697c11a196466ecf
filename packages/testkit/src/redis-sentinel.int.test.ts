import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisSentinelHandle, startRedisSentinel } from "./redis-sentinel.ts";

let sentinel: RedisSentinelHandle | undefined;
afterAll(async () => {
  await sentinel?.stop();
});

describe("startRedisSentinel", () => {
  it("fails over to the replica when the primary is killed, and takes the old primary back as a replica", async () => {
    sentinel = await startRedisSentinel();
    expect(sentinel.sentinels).toHaveLength(3);
    const [first, second] = sentinel.servers;
    expect(await sentinel.primary()).toBe(first);

    const client = new Redis({ sentinels: [...sentinel.sentinels], name: sentinel.name, maxRetriesPerRequest: 1 });
    client.on("error", () => undefined);
    try {
      await client.set("before", "1");
      // WAIT: the write is on the replica before the primary dies (asynchronous replication could lose it).
      expect(await client.wait(1, 5_000)).toBe(1);
      await first?.kill();

      const promoted = await sentinel.waitForFailover(first as NonNullable<typeof first>);
      expect(promoted).toBe(second);
      const direct = new Redis({ port: promoted.port, lazyConnect: true });
      await direct.connect();
      expect(await direct.get("before")).toBe("1");
      direct.disconnect();

      await first?.restart();
      // Sentinel takes a returning old primary back on its own schedule (REPLICA_AGAIN_MS); past half of it the
      // testkit sends the REPLICAOF the sentinels would.
      await sentinel.waitForReplica(first as NonNullable<typeof first>);
      expect(await sentinel.primary()).toBe(second);
    } finally {
      client.disconnect();
    }
  }, 150_000);
});
