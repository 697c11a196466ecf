import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connectBus } from "@carehub/bus";
import {
  freePort,
  type NatsServerHandle,
  type RedisServerHandle,
  sharedNatsUrl,
  sharedRedisUrl,
  startNatsServer,
  startRedisServer,
  testNamespace,
} from "@carehub/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { CAREHUB_CLI } from "./src/cli-process.ts";

/**
 * Issue 16, item 2: a worker started while NATS is unreachable waits for it with backoff, alive (`/healthz` 200)
 * and saying what it waits for (`/readyz` 503 naming NATS), and becomes ready once NATS comes up. The bug this
 * catches: `carehub start` failing on the first refused connection and exiting (an orchestrator that starts
 * workers before NATS, or a compose file without a restart policy, is then left without them). The same for
 * Redis, and CAREHUB_START_TIMEOUT_MS bounds the wait.
 */

const REGISTRY = fileURLToPath(new URL("../infra/endpoints.yaml", import.meta.url));

let child: ChildProcess | undefined;
let nats: NatsServerHandle | undefined;
let redisServer: RedisServerHandle | undefined;
let output = "";

afterAll(async () => {
  await stopChild();
  await nats?.stop();
  await redisServer?.stop();
});

async function stopChild(): Promise<void> {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

function startIntake(env: NodeJS.ProcessEnv): void {
  output = "";
  child = spawn(process.execPath, [CAREHUB_CLI, "start", "intake"], {
    env: {
      PATH: process.env.PATH,
      CAREHUB_NAMESPACE: testNamespace("startwait"),
      CAREHUB_REGISTRY: REGISTRY,
      LOG_LEVEL: "warn",
      OTEL_TRACES_EXPORTER: "none",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
}

describe("carehub start while NATS is down", () => {
  it("waits, alive and not ready naming NATS, then becomes ready when NATS comes up", async () => {
    const natsPort = await freePort();
    const opsPort = await freePort();
    startIntake({
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      REDIS_URL: sharedRedisUrl(),
      CAREHUB_OPS_PORT: String(opsPort),
    });
    const ops = `http://127.0.0.1:${opsPort}`;

    // Waiting: the ops port answers, /readyz names NATS, and the log says it waits (at least one backoff).
    const waiting = await pollUntil(async () => {
      const ready = await get(`${ops}/readyz`);
      return ready?.status === 503 && output.includes("nats unreachable at start-up") ? ready : undefined;
    });
    expect(waiting.body).toMatchObject({ status: "starting", waitingFor: "nats", checks: { nats: "unavailable" } });
    expect((await get(`${ops}/healthz`))?.status).toBe(200);
    expect(child?.exitCode).toBeNull();
    expect(output).not.toContain(`${natsPort}`); // the wait is logged without the server's address (or credentials)

    nats = await startNatsServer({ port: natsPort });
    const ready = await pollUntil(async () => {
      const answer = await get(`${ops}/readyz`);
      return answer?.status === 200 ? answer : undefined;
    }, 30_000);
    expect(ready.body).toMatchObject({ status: "ok", checks: { nats: "ok", redis: "ok" } });
    await pollUntil(async () => (output.includes("carehub running") ? true : undefined));
    expect(child?.exitCode).toBeNull();
  }, 60_000);
});

describe("carehub start while Redis is down", () => {
  it("waits, not ready naming Redis, then becomes ready when Redis comes up", async () => {
    await stopChild();
    const redisPort = await freePort();
    const opsPort = await freePort();
    startIntake({
      NATS_URL: sharedNatsUrl(),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      CAREHUB_OPS_PORT: String(opsPort),
    });
    const ops = `http://127.0.0.1:${opsPort}`;
    const waiting = await pollUntil(async () => {
      const ready = await get(`${ops}/readyz`);
      return ready?.status === 503 && output.includes("redis unreachable at start-up") ? ready : undefined;
    });
    expect(waiting.body).toMatchObject({ status: "starting", waitingFor: "redis", checks: { nats: "ok" } });
    redisServer = await startRedisServer({ port: redisPort });
    const ready = await pollUntil(async () => {
      const answer = await get(`${ops}/readyz`);
      return answer?.status === 200 ? answer : undefined;
    }, 40_000);
    expect(ready.body).toMatchObject({ status: "ok", checks: { nats: "ok", redis: "ok" } });
  }, 60_000);
});

describe("CAREHUB_START_TIMEOUT_MS", () => {
  it("bounds the wait: past it the process exits 1 with CAREHUB_ERR_START_TIMEOUT (catalogued)", async () => {
    await stopChild();
    const natsPort = await freePort();
    startIntake({
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      REDIS_URL: sharedRedisUrl(),
      CAREHUB_OPS_PORT: String(await freePort()),
      CAREHUB_START_TIMEOUT_MS: "1500",
    });
    const code = await new Promise<number | null>((resolve) => child?.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("CAREHUB_ERR_START_TIMEOUT: nats did not answer");
    const catalogue = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
    expect(catalogue).toContain("`CAREHUB_ERR_START_TIMEOUT`");
  }, 30_000);

  it("does not wait on what waiting cannot fix: an incompatible stream stops the process at once", async () => {
    await stopChild();
    const namespace = testNamespace("startbad");
    const bus = await connectBus({ servers: sharedNatsUrl(), name: "startbad-setup", namespace });
    const name = bus.topology.streams.inbox;
    await bus.jsm.streams.add({ name, subjects: [`${namespace}.elsewhere.>`], storage: "memory" });
    try {
      startIntake({
        NATS_URL: sharedNatsUrl(),
        REDIS_URL: sharedRedisUrl(),
        CAREHUB_NAMESPACE: namespace,
        CAREHUB_OPS_PORT: String(await freePort()),
      });
      const code = await new Promise<number | null>((resolve) => child?.once("exit", resolve));
      expect(code).toBe(1);
      expect(output).toContain("JetStream provisioning failed");
      expect(output).not.toContain("unreachable at start-up");
    } finally {
      for (const stream of Object.values(bus.topology.streams)) await bus.jsm.streams.delete(stream).catch(() => false);
      await bus.drain();
    }
  }, 30_000);
});

async function get(url: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, body: await response.json() };
  } catch {
    return undefined; // not listening yet
  }
}

/** Polls `probe` until it returns a value; fails (with the process's output) if the process exits first. */
async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exitCode !== null || child?.signalCode !== null) throw new Error(`carehub exited:\n${output}`);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not reached in ${timeoutMs} ms:\n${output}`);
}
