import { once } from "node:events";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { keepRedisConnected } from "./redis-keep-connected.ts";

/** Cuts the client's connection attempt short from inside, as the Sentinel failover detector does during a connect. */
function cutConnectShort(redis: Redis): void {
  (redis as unknown as { connector: { disconnect(): void } }).connector.disconnect();
}

describe("keepRedisConnected", () => {
  it("connects again after a connection attempt was cut short from inside the client", async () => {
    const redis = new Redis(sharedRedisUrl(), { lazyConnect: true });
    redis.on("error", () => undefined); // the cut attempt's error: expected here
    let reconnects = 0;
    keepRedisConnected(redis, () => reconnects++, 10);
    try {
      const attempt = redis.connect();
      cutConnectShort(redis);
      await expect(attempt).rejects.toThrow("Connection is closed");
      // Unguarded, ioredis leaves the client ended for good: "ready" never comes and the test times out.
      await once(redis, "ready");
      expect(await redis.ping()).toBe("PONG");
      expect(reconnects).toBe(1);
    } finally {
      redis.disconnect();
    }
  }, 5_000);

  it("leaves a client its owner closed closed", async () => {
    const redis = new Redis(sharedRedisUrl());
    let reconnects = 0;
    keepRedisConnected(redis, () => reconnects++, 10);
    await redis.ping();
    const ended = once(redis, "end");
    await redis.quit();
    await ended;
    expect(reconnects).toBe(0);
    const other = new Redis(sharedRedisUrl());
    keepRedisConnected(other, () => reconnects++, 10);
    await other.ping();
    const otherEnded = once(other, "end");
    other.disconnect();
    await otherEnded;
    expect(reconnects).toBe(0);
  });
});
