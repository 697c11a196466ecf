import { socketWrites } from "@carehub/bus/testing";
import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { sharedRedisUrl } from "@carehub/testkit";
import { describe, expect, it } from "vitest";
import { createRedisClient } from "./redis-connection.ts";

const logger = createLogger({ name: "test", level: "silent" });

describe("the hub's Redis client", () => {
  // Catches: a client built without the bus's write coalescing (docs/decisions/0098): one write per command.
  it("writes the commands of one piece of work in one socket write", async () => {
    const redis = createRedisClient(parseHubConfig({ REDIS_URL: sharedRedisUrl() }), logger);
    try {
      await redis.ping();
      const writes = socketWrites((redis as unknown as { stream: unknown }).stream);
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => redis.echo(`c${i}`)));
      expect(replies).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
      expect(writes).toHaveLength(1);
    } finally {
      await redis.quit();
    }
  });
});
