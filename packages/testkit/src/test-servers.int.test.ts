import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { sharedNatsUrl } from "./shared.ts";
import { provideTestServers } from "./test-servers.ts";

describe("provideTestServers (the run's NATS and Redis)", () => {
  it("starts a private NATS and Redis on free ports when no URL is configured, and stops them", async () => {
    const env: NodeJS.ProcessEnv = {};
    const servers = await provideTestServers(env);
    expect(servers.started).toEqual(["nats", "redis"]);
    expect(env.NATS_URL).toBe(servers.natsUrl);
    expect(env.REDIS_URL).toBe(servers.redisUrl);
    // Never the development servers' fixed ports.
    expect(servers.natsUrl).not.toMatch(/:4222$/);
    expect(servers.redisUrl).not.toMatch(/:6379$/);
    const nc = await connect({ servers: servers.natsUrl });
    expect(nc.info?.jetstream).toBe(true);
    // The repository's NATS settings apply: 8 MB payloads, as on the hub's own server.
    expect(nc.info?.max_payload).toBe(8 * 1024 * 1024);
    await nc.close();
    const redis = new Redis(servers.redisUrl);
    expect(await redis.ping()).toBe("PONG");
    redis.disconnect();
    await servers.stop();
    expect(env.NATS_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
  });

  it("uses the configured URLs and starts nothing", async () => {
    const env: NodeJS.ProcessEnv = { NATS_URL: "nats://nats.example:4333", REDIS_URL: "redis://redis.example:6400" };
    const servers = await provideTestServers(env);
    expect(servers.started).toEqual([]);
    expect(servers).toMatchObject({ natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL });
    await servers.stop();
    expect(env.NATS_URL).toBe("nats://nats.example:4333");
  });

  it("has no default port: without NATS_URL the shared URL is an error, not a guess", () => {
    const saved = process.env.NATS_URL;
    delete process.env.NATS_URL;
    try {
      expect(() => sharedNatsUrl()).toThrow(expect.objectContaining({ code: "CAREHUB_ERR_TESTKIT_NO_SERVER" }));
    } finally {
      process.env.NATS_URL = saved;
    }
  });
});
