import { Socket } from "node:net";
import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "./redis-connection.ts";

const logger = createLogger({ name: "test", level: "silent" });
const namespace = testNamespace("coalesce");
let redis: ReturnType<typeof createRedisClient>;

beforeAll(async () => {
  redis = createRedisClient(parseHubConfig({ REDIS_URL: sharedRedisUrl() }), logger);
  await waitUntil("the client is ready", () => redis.status === "ready");
});
afterAll(async () => {
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Socket writes (each one syscall) to the client's current socket while `run` issues commands. */
async function socketWrites<T>(run: () => Promise<T>): Promise<{ writes: number; result: T }> {
  const socket = redis.stream;
  const proto = Socket.prototype as unknown as Record<"_write" | "_writev", (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ["_write", "_writev"] as const) {
    const original = originals[name];
    proto[name] = function (this: Socket, ...args: unknown[]) {
      if (this === socket) writes++;
      return original.apply(this, args);
    };
  }
  try {
    return { result: await run(), writes };
  } finally {
    Object.assign(proto, originals);
  }
}

/** Issues `count` SETs, each from its own microtask (as the hub's handlers do, one after another's await). */
async function setsInOneTurn(count: number, tag: string): Promise<string[]> {
  const replies: Array<Promise<string>> = [];
  for (let i = 0; i < count; i++) {
    await Promise.resolve();
    replies.push(redis.set(`${namespace}:${tag}:${i}`, `v${i}`));
  }
  return Promise.all(replies);
}

// The hub wrote to Redis once (one syscall) per command; the client built by createRedisClient corks its socket
// until the callback's work is done (process.nextTick; docs/performance.md, "Coalesced socket writes"). Fails
// when the coalescing is lost: 20 writes instead of one.
describe("the hub's Redis client", () => {
  it("sends the commands of one callback's work in one socket write, each with its own reply", async () => {
    const { writes, result } = await socketWrites(() => setsInOneTurn(20, "a"));
    expect(result).toEqual(Array.from({ length: 20 }, () => "OK"));
    expect(writes).toBe(1);
    const values = await redis.mget(Array.from({ length: 20 }, (_, i) => `${namespace}:a:${i}`));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it("keeps coalescing on the new socket after a reconnect, and an error stays with its own command", async () => {
    const before = redis.stream;
    redis.disconnect(true);
    await waitUntil("the client is ready again", () => redis.status === "ready" && redis.stream !== before);
    const { writes, result } = await socketWrites(async () => {
      const failing = redis.hincrby(`${namespace}:a:0`, "field", 1).then(
        () => "no error",
        (error: Error) => error.message.split(" ")[0],
      );
      const [sets, failed] = await Promise.all([setsInOneTurn(5, "b"), failing]);
      return { sets, failed };
    });
    expect(result).toEqual({ sets: ["OK", "OK", "OK", "OK", "OK"], failed: "WRONGTYPE" });
    expect(writes).toBe(1);
  });
});
