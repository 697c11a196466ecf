import { connectBus } from "@carehub/bus";
import { hashToken } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startHub } from "./start-hub.ts";

const namespace = testNamespace("hub");
const registry = {
  hub: { id: "carehub", name: "test hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    {
      id: "practice",
      name: "practice",
      kind: "practice" as const,
      identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
      sends: ["lab-result" as const],
      accepts: ["acknowledgement" as const],
      delivery: { mode: "nats" as const },
      auth: { tokenSha256: [hashToken("t")] },
    },
  ],
};

describe("startHub", () => {
  afterAll(async () => {
    const bus = await connectBus({ servers: sharedNatsUrl(), name: "cleanup", namespace });
    const redis = new Redis(sharedRedisUrl());
    await cleanupNamespace({ namespace, bus, redis });
    await bus.drain();
    redis.disconnect();
  });

  it("runs the chosen services, provisions the streams, and closes everything it opened on stop", async () => {
    const config = parseHubConfig(
      { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
      { namespace, httpPort: 0 },
    );
    const hub = await startHub({ config, registry, services: ["intake", "gateway"] });
    expect(hub.services).toEqual(["intake", "gateway"]);
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    const streams = await hub.bus.jsm.streams.names().next();
    expect(streams).toEqual(expect.arrayContaining([`${namespace.toUpperCase().replace(/-/g, "_")}_INGRESS`]));
    expect(hub.registry.current().byId("practice")?.kind).toBe("practice");
    await hub.stop();
    expect(hub.bus.nc.isClosed()).toBe(true);
    await vi.waitFor(() => expect(hub.redis.status).toBe("end"), { timeout: 10_000 });
    await expect(fetch(`${hub.url}/healthz`)).rejects.toThrow();
    await hub.stop(); // idempotent
  });

  it("refuses an unknown service name before connecting", async () => {
    const config = parseHubConfig({}, { namespace, httpPort: 0, logLevel: "silent" });
    await expect(startHub({ config, registry, services: ["mailer"] })).rejects.toThrow("unknown service(s): mailer");
  });
});
