/**
 * The dispatcher alone, draining a backlog: OUTBOX is filled with copies of 2.7 KB letters for four signed webhook
 * endpoints (as the router puts them), then the dispatcher is started and runs until every copy was delivered.
 * Measured per delivery: this process's CPU (the dispatcher with its NATS and Redis clients; the copies were
 * published before the clock started), nats-server's and redis-server's CPU (/proc; private servers), and the
 * drain's wall time. The receivers run in a child process of their own, so their CPU is not counted.
 * `--root=<checkout>` loads the dispatcher and the bus from another checkout (for before/after pairs: alternate).
 * Not a test: nothing here asserts but that every copy arrived once.
 * Usage: node services/dispatcher/bench/drain.bench.ts [--copies=4000] [--root=/path/to/checkout]
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as BusModule from "@carehub/bus";
import { startNatsServer, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import type * as DispatcherModule from "../src/index.ts";
import { testEndpoint, testRegistry } from "../test/support.ts";

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const COPIES = Number(option("copies") ?? 4_000);
const root = option("root") ?? fileURLToPath(new URL("../../../", import.meta.url));
const ENDPOINTS = ["practice-a", "practice-b", "practice-c", "practice-d"];
const BODY = randomBytes(2_700);

/** The receivers' process: one HTTP server answering 202 to every POST, counting hub ids per path. */
const RECEIVER = `
const { createServer } = require("node:http");
const seen = new Map();
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const id = req.url + " " + req.headers["carehub-hub-id"];
    seen.set(id, (seen.get(id) ?? 0) + 1);
    res.statusCode = 202;
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("message", () => {
  let twice = 0;
  for (const n of seen.values()) if (n > 1) twice += 1;
  process.send({ distinct: seen.size, twice });
});
`;

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function childPid(name: string): number | undefined {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.split(") ")[1]?.split(" ")[1]);
      if (ppid === process.pid && stat.includes(`(${name}`)) return Number(pid);
    } catch {
      // Gone between the listing and the read.
    }
  }
  return undefined;
}

const bus: typeof BusModule = await import(join(root, "packages/bus/src/index.ts"));
const dispatcher: typeof DispatcherModule = await import(join(root, "services/dispatcher/src/index.ts"));
const nats = await startNatsServer();
const redisServer = await startRedisServer();
const receivers = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const ask = <T>(message?: string) =>
  new Promise<T>((resolve) => {
    receivers.once("message", (answer) => resolve(answer as T));
    if (message !== undefined) receivers.send(message);
  });
try {
  const { port } = await ask<{ port: number }>();
  const namespace = "drain";
  const hub = await bus.connectBus({ servers: nats.url, name: "bench-drain", namespace });
  await hub.provision();
  const redis = new Redis(redisServer.url);
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const registry = testRegistry(
    ENDPOINTS.map((id) =>
      testEndpoint(id, {
        delivery: {
          mode: "http",
          url: `http://127.0.0.1:${port}/${id}`,
          timeoutMs: 5_000,
          signing: { secrets: [{ value: secret }] },
        },
      }),
    ),
  );
  for (let i = 0; i < COPIES; i++) {
    const endpoint = ENDPOINTS[i % ENDPOINTS.length] as string;
    const hubId = `0190f3a2-7c1e-7000-8000-${String(i).padStart(12, "0")}`;
    await hub.publish(hub.topology.subjects.outbox(endpoint), BODY, {
      msgId: `${hubId}:${endpoint}`,
      contentType: "application/xml",
      headers: {
        "Carehub-Hub-Id": hubId,
        "Carehub-Source-Endpoint": "lab-1",
        "Carehub-Message-Id": `msg-${i}`,
        "Carehub-Receiver": endpoint,
        "Carehub-Kind": "lab-result",
      },
    });
  }
  const servers = { nats: childPid("nats-server"), redis: childPid("redis-server") };
  const before = {
    self: process.cpuUsage(),
    nats: servers.nats === undefined ? 0 : cpuSeconds(servers.nats),
    redis: servers.redis === undefined ? 0 : cpuSeconds(servers.redis),
    at: performance.now(),
    load: loadavg()[0] ?? 0,
  };
  const running = await dispatcher.startDispatcher({ bus: hub, redis, registry: { current: () => registry } });
  let counted = { distinct: 0, twice: 0 };
  while (counted.distinct < COPIES) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    counted = await ask<{ distinct: number; twice: number }>("count");
  }
  const seconds = (performance.now() - before.at) / 1000;
  const self = process.cpuUsage(before.self);
  const per = (cpu: number) => Math.round((cpu * 1e6) / COPIES);
  console.log(
    `load ${before.load.toFixed(1)}/${(loadavg()[0] ?? 0).toFixed(1)}; ${COPIES} copies in ${seconds.toFixed(1)} s ` +
      `(${Math.round(COPIES / seconds)}/s); CPU per delivery: dispatcher ${per((self.user + self.system) / 1e6)} µs, ` +
      `nats-server ${servers.nats === undefined ? "?" : per(cpuSeconds(servers.nats) - before.nats)} µs, ` +
      `redis-server ${servers.redis === undefined ? "?" : per(cpuSeconds(servers.redis) - before.redis)} µs; ` +
      `delivered twice ${counted.twice}; root ${root}`,
  );
  await running.stop();
  await hub.drain();
  redis.disconnect();
} finally {
  receivers.kill();
  await nats.stop();
  await redisServer.stop();
}
