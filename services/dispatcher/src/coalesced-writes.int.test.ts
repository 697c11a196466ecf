import { type RedisServerHandle, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coalescedWrites } from "./coalesced-writes.ts";

/*
 * docs/decisions/0091: the first command of a piece of work leaves at once; the ones issued after it in the same
 * piece of work wait in the socket and leave together when it is done. Observed on the real socket of a client of a
 * private Redis: `writableCorked` (held) and `writableLength` (bytes not yet handed to the kernel).
 */

let server: RedisServerHandle;
let redis: Redis;
type Socket = { writableCorked: number; writableLength: number };
const socket = () => (redis as unknown as { stream: Socket }).stream;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
  await redis.ping();
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

describe("coalesced writes", () => {
  // Catches: the first command held as well (a lone delivery waiting for the end of the work it was issued in, the
  // latency loss of docs/decisions/0077), or the commands after it written one by one (no coalescing at all).
  it("writes the first command of a piece of work at once and holds the ones after it until the work is done", async () => {
    const beforeWrite = coalescedWrites(redis);
    beforeWrite();
    const first = redis.set("cw:a", "1");
    expect(socket()).toMatchObject({ writableCorked: 0, writableLength: 0 });
    beforeWrite();
    const second = redis.incr("cw:n");
    beforeWrite();
    const third = redis.get("cw:a");
    expect(socket().writableCorked).toBe(1);
    expect(socket().writableLength).toBeGreaterThan(0);
    // Catches: a hold never released (the replies would never come) or commands answered out of order.
    expect(await Promise.all([first, second, third])).toEqual(["OK", 1, "1"]);
    expect(socket()).toMatchObject({ writableCorked: 0, writableLength: 0 });
  });

  // Catches: the "first of this piece of work" state leaking into the next one (every later command held).
  it("starts afresh with the next piece of work: its first command again leaves at once", async () => {
    const beforeWrite = coalescedWrites(redis);
    beforeWrite();
    await redis.set("cw:b", "1");
    beforeWrite();
    const next = redis.get("cw:b");
    expect(socket()).toMatchObject({ writableCorked: 0, writableLength: 0 });
    expect(await next).toBe("1");
  });
});
