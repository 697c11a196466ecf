import { createLogger } from "@carehub/observability";
import { parseHubConfig } from "@carehub/schemas";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisClient } from "./redis-connection.ts";

const logger = createLogger({ name: "test", level: "silent" });
const clients: Array<ReturnType<typeof createRedisClient>> = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

// Nothing answers on port 1: the clients are only built and inspected, never used.
describe("createRedisClient", () => {
  it("connects to REDIS_URL when no sentinels are configured", () => {
    const client = createRedisClient(parseHubConfig({ REDIS_URL: "redis://127.0.0.1:1/2" }), logger);
    clients.push(client);
    expect(client.options).toMatchObject({ host: "127.0.0.1", port: 1, db: 2, maxRetriesPerRequest: 2 });
    expect(client.options.sentinels).toBeNull();
  });

  it("asks the sentinels for the named primary, with REDIS_URL's credentials and database, not its host", () => {
    const config = parseHubConfig({
      REDIS_URL: "redis://carehub:s%40cret@primary.invalid:6379/3",
      CAREHUB_REDIS_SENTINELS: "127.0.0.1:1,127.0.0.2:1",
      CAREHUB_REDIS_SENTINEL_NAME: "carehub-prod",
    });
    const client = createRedisClient(config, logger);
    clients.push(client);
    expect(client.options).toMatchObject({
      sentinels: [
        { host: "127.0.0.1", port: 1 },
        { host: "127.0.0.2", port: 1 },
      ],
      name: "carehub-prod",
      role: "master",
      username: "carehub",
      password: "s@cret",
      db: 3,
      maxRetriesPerRequest: 2,
      commandTimeout: 5_000,
    });
    const reconnectOnError = client.options.reconnectOnError;
    expect(reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnectOnError?.(new Error("WRONGTYPE Operation against a key holding the wrong kind of value"))).toBe(
      false,
    );
  });
});
