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

  it("serves /healthz, /readyz and /metrics with process metrics on the ops port, whichever services run, until stop", async () => {
    const config = parseHubConfig(
      { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
      { namespace, httpPort: 0, opsPort: 0 },
    );
    const hub = await startHub({ config, registry, services: ["router"], opsServer: true });
    try {
      expect(hub.url).toBeUndefined();
      expect(hub.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${hub.opsUrl}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`${hub.opsUrl}/readyz`)).json()).toEqual({
        status: "ok",
        checks: { nats: "ok", redis: "ok" },
      });
      const metrics = await fetch(`${hub.opsUrl}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      const text = await metrics.text();
      expect(text).toMatch(/^carehub_process_resident_memory_bytes \d/m);
      expect(text).toMatch(/^carehub_nodejs_eventloop_lag_seconds \d/m);
      expect((await fetch(`${hub.opsUrl}/v1/messages`)).status).toBe(404);
    } finally {
      await hub.stop();
    }
    await expect(fetch(`${hub.opsUrl}/healthz`)).rejects.toThrow();
  });

  it("refuses an unknown service name before connecting", async () => {
    const config = parseHubConfig({}, { namespace, httpPort: 0, logLevel: "silent" });
    await expect(startHub({ config, registry, services: ["mailer"] })).rejects.toThrow("unknown service(s): mailer");
  });
});
