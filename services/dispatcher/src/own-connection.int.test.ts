import { connectTestBus } from "@carehub/bus/testing";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { dispatcherTestbed, SwappableRegistry, testEndpoint, testRegistry } from "../test/support.ts";
import { startDispatcher } from "./dispatcher.ts";

/**
 * The dispatcher writes its deliveries' state over a Redis connection of its own (docs/decisions/0091): that
 * connection lives exactly as long as the dispatcher. Left open, it would keep reconnecting after the service
 * stopped, and keep a `carehub` process from exiting ("something was still open 5 s after stopping").
 */

const bed = dispatcherTestbed("owncon");
const registry = new SwappableRegistry(testRegistry([testEndpoint("ep-owncon")]));

/** A client of the test's Redis whose duplicates (the dispatcher's own connection) are kept to look at. */
function watchedRedis(): { redis: Redis; opened: Redis[]; close(): void } {
  const redis = bed.redis.duplicate();
  const opened: Redis[] = [];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis["duplicate"]>) => {
    const connection = duplicate(...args);
    opened.push(connection);
    return connection;
  };
  return {
    redis,
    opened,
    close: () => {
      for (const connection of opened) connection.disconnect();
      redis.disconnect();
    },
  };
}

describe("the dispatcher's own Redis connection", () => {
  it("is closed when the dispatcher stops", async () => {
    const watched = watchedRedis();
    try {
      const dispatcher = await startDispatcher({ bus: bed.bus, redis: watched.redis, registry });
      expect(watched.opened).toHaveLength(1);
      expect(watched.opened[0]?.status).not.toBe("end");
      await dispatcher.stop();
      expect(watched.opened[0]?.status).toBe("end");
    } finally {
      watched.close();
    }
  });

  it("is closed when the dispatcher cannot start", async () => {
    const watched = watchedRedis();
    // A bus whose NATS connection is gone: the first registry sync cannot create the endpoint's consumer.
    const closedBus = await connectTestBus(bed.ns);
    await closedBus.drain();
    try {
      await expect(startDispatcher({ bus: closedBus, redis: watched.redis, registry })).rejects.toThrow(
        /closed connection/,
      );
      expect(watched.opened).toHaveLength(1);
      expect(watched.opened[0]?.status).toBe("end");
    } finally {
      watched.close();
    }
  });
});
