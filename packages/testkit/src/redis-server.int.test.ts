import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "./redis-server.ts";

let server: RedisServerHandle | undefined;
afterAll(async () => {
  await server?.stop();
});

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

describe("startRedisServer", () => {
  it("serves on a private port, and with appendonly keeps data across SIGKILL + restart", async () => {
    server = await startRedisServer({ appendonly: true });
    const url = server.url;
    expect(server.port).not.toBe(6379);
    await withRedis(url, (redis) => redis.set("k", "v"));
    await server.kill();
    await server.restart();
    expect(await withRedis(url, (redis) => redis.get("k"))).toBe("v");
  });

  it("without appendonly starts empty after a restart", async () => {
    const volatile = await startRedisServer();
    try {
      await withRedis(volatile.url, (redis) => redis.set("k", "v"));
      await volatile.kill();
      await volatile.restart();
      expect(await withRedis(volatile.url, (redis) => redis.get("k"))).toBeNull();
    } finally {
      await volatile.stop();
    }
  });
});
