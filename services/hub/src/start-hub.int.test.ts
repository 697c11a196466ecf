import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import { cleanupNamespaceAt } from "@carehub/bus/testing";
import { createLogger } from "@carehub/observability";
import { hashToken } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseServiceSettings } from "./service-settings.ts";
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

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One request on a connection of its own (no pooling), so each counts as exactly one connection. */
function once(url: string, method = "GET", body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: body === undefined ? {} : { "content-type": "application/fhir+json", authorization: "Bearer t" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers["retry-after"],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens a connection that sends nothing and stays open. */
function idleConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Polls `check` until it returns a value (no sleeps as synchronisation: a deadline). */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

afterAll(async () => {
  await cleanupNamespaceAt(namespace);
});

describe("startHub", () => {
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

  it("runs intake and the router with the concurrency their settings name (the catalogue passes them on)", async () => {
    const config = parseHubConfig(
      { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "info" },
      { namespace, httpPort: 0 },
    );
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(
          ...String(chunk)
            .split("\n")
            .filter((line) => line !== ""),
        );
        done();
      },
    });
    const logger = createLogger({ name: "carehub", level: "info", destination });
    // Odd numbers no default has: a start path that dropped the setting would log the service's default.
    const settings = parseServiceSettings({ CAREHUB_ROUTER_CONCURRENCY: "7", CAREHUB_INTAKE_CONCURRENCY: "3" }, config);
    const hub = await startHub({ config, registry, services: ["router", "intake"], settings, logger });
    try {
      const started = (msg: string) =>
        lines.map((line) => JSON.parse(line) as { msg?: string; concurrency?: number }).find((l) => l.msg === msg);
      expect(started("router consuming")?.concurrency).toBe(7);
      expect(started("intake consuming")?.concurrency).toBe(3);
    } finally {
      await hub.stop();
    }
  });

  it("refuses an unknown service name before connecting", async () => {
    const config = parseHubConfig({}, { namespace, httpPort: 0, logLevel: "silent" });
    await expect(startHub({ config, registry, services: ["mailer"] })).rejects.toThrow("unknown service(s): mailer");
  });
});

/**
 * The gateway's connection bound through real sockets (issue 16, back-pressure): with CAREHUB_MAX_CONNECTIONS
 * connections held open on the API port, a request on one more is refused 503 `CAREHUB_ERR_GATEWAY_OVERLOADED`
 * with `Retry-After` before fastify sees it, while the ops port's `/healthz` and `/readyz` (where probes go) still
 * answer 200; beyond twice the bound a new connection is dropped unanswered; once the held connections close the
 * gateway admits again.
 */
const BOUND = 4;

describe("the gateway's connection bound (CAREHUB_MAX_CONNECTIONS)", () => {
  it("refuses with Retry-After and the code beyond the bound, drops beyond twice it, and the ops port still answers", async () => {
    const config = parseHubConfig(
      { NATS_URL: sharedNatsUrl(), REDIS_URL: sharedRedisUrl(), LOG_LEVEL: "silent" },
      { namespace, httpPort: 0, opsPort: 0, maxConnections: BOUND, profile: "test" },
    );
    const hub = await startHub({ config, registry, services: ["gateway"], opsServer: true });
    const held: Socket[] = [];
    try {
      const api = hub.url as string;
      // Under the bound: admitted (401: no token).
      expect((await once(`${api}/v1/stats`)).status).toBe(401);

      for (let i = 0; i < BOUND; i++) held.push(await idleConnection(api));
      // The request's own connection is one over the bound once the server has counted the held ones.
      const refused = await until("a refusal for connections", async () => {
        const answer = await once(`${api}/v1/messages`, "POST", '{"resourceType":"Bundle"}');
        return answer.status === 503 ? answer : undefined;
      });
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(30);
      expect(JSON.parse(refused.body)).toEqual({ code: "CAREHUB_ERR_GATEWAY_OVERLOADED", message: expect.any(String) });
      // The API port's own /healthz is behind the bound too; the ops port's probes are not.
      expect((await once(`${api}/healthz`)).status).toBe(503);
      expect((await once(`${hub.opsUrl}/healthz`)).status).toBe(200);
      expect((await once(`${hub.opsUrl}/readyz`)).status).toBe(200);

      // Beyond twice the bound a new connection is closed unanswered (node's server.maxConnections).
      for (let i = BOUND; i < 2 * BOUND; i++) held.push(await idleConnection(api));
      await until("a connection dropped unanswered", async () =>
        once(`${api}/v1/stats`).then(
          () => undefined,
          () => true,
        ),
      );
      expect((await once(`${hub.opsUrl}/healthz`)).status).toBe(200);

      // Once the held connections close, the slots are free again.
      for (const socket of held.splice(0)) socket.destroy();
      await until("the gateway to admit again", async () =>
        (await once(`${api}/v1/stats`)).status === 401 ? true : undefined,
      );
    } finally {
      for (const socket of held) socket.destroy();
      await hub.stop();
    }
  });
});
