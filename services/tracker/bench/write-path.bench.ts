/**
 * The tracker's write path alone, this checkout against another, in one process: the same changes (each message's
 * lab-result envelope with a patient and two analyses, `routed` to two receivers, a `delivered` and an
 * `acknowledged` per receiver, interleaved 50 messages at a time as EVENTS and PIPELINE carry them) folded by each
 * checkout's `ReadModelStore.applyChanges` through its own `EventBatcher` (64 in hand), into a private redis-server,
 * a fresh namespace and fresh hub ids per arm, the arms alternated (the order swapped every round). Printed per
 * arm: this process's CPU (user + system), redis-server's CPU (`INFO cpu`) and the bytes Redis received, per message. No NATS, no bus: what the
 * store and the batcher cost, without the e2e bench's noise (docs/performance.md, trk16 round).
 * Usage: node services/tracker/bench/write-path.bench.ts --base=<another checkout> [--messages=2000] [--rounds=6]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Envelope, LifecycleEvent } from "@carehub/schemas";
import { startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { labResult } from "../../../packages/store/src/events.test-support.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const other = value("base");
if (other === undefined) throw new Error("usage: write-path.bench.ts --base=<another checkout>");
const MESSAGES = Number(value("messages") ?? 2_000);
const ROUNDS = Number(value("rounds") ?? 6);
const WINDOW = 50;
const T0 = Date.now() - 3_600_000;

type Change = { event: LifecycleEvent } | { envelope: Envelope };
interface Arm {
  name: string;
  createStore: (options: Record<string, unknown>) => {
    applyChanges(changes: readonly Change[]): Promise<void>;
  };
  EventBatcher: new (
    fold: (batch: readonly Change[]) => Promise<void>,
    maxBatch: number,
  ) => { fold(change: Change): Promise<void> };
}

async function armOf(name: string, root: URL): Promise<Arm> {
  const store = await import(new URL("packages/store/src/index.ts", root).href);
  const batcher = await import(new URL("services/tracker/src/event-batcher.ts", root).href);
  return { name, createStore: store.createStore, EventBatcher: batcher.EventBatcher };
}

function lifeOf(i: number, run: number): Change[] {
  const hubId = `0190f3a2-7c1e-7000-8${String(run).padStart(3, "0")}-${String(i).padStart(12, "0")}`;
  const base = {
    schemaVersion: 1 as const,
    hubId,
    messageId: `msg-${i}`,
    sourceEndpoint: "lab-1",
    kind: "lab-result" as const,
    traceId: hubId.replaceAll("-", ""),
  };
  const receivers = [`hospital-${i % 5}`, `practice-${i % 3}`];
  const at = (ms: number) => new Date(T0 + i * 10 + ms).toISOString();
  const envelope: Envelope = {
    ...labResult(hubId, T0 + i * 10, ["NPU01807", "NPU02319"]),
    patient: { system: "other", value: `bench-patient-${i % 97}` },
  };
  const event = (fields: Record<string, unknown>) => ({ event: { ...base, ...fields } as unknown as LifecycleEvent });
  return [
    { envelope },
    event({ type: "routed", eventId: `${hubId}:routed`, at: at(5), receivers, ruleCopies: [] }),
    ...receivers.map((r) =>
      event({
        type: "delivered",
        eventId: `${hubId}:delivered:${r}:1`,
        at: at(9),
        endpoint: r,
        attempt: 1,
        durationMs: 3,
      }),
    ),
    ...receivers.map((r) =>
      event({ type: "acknowledged", eventId: `${hubId}:acknowledged:${r}`, at: at(400), endpoint: r, code: "ok" }),
    ),
  ];
}

function changesFor(run: number): Change[] {
  const out: Change[] = [];
  for (let start = 0; start < MESSAGES; start += WINDOW) {
    const lives = Array.from({ length: Math.min(WINDOW, MESSAGES - start) }, (_, k) => lifeOf(start + k, run));
    for (let step = 0; step < 6; step++) {
      for (const life of lives) {
        const change = life[step];
        if (change !== undefined) out.push(change);
      }
    }
  }
  return out;
}

const arms = [
  await armOf("this checkout", new URL("../../../", import.meta.url)),
  await armOf(resolve(other), pathToFileURL(`${resolve(other)}/`)),
];
const server = await startRedisServer();
const redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
const bytesIn = async () => Number(/^total_net_input_bytes:(\d+)/m.exec(await redis.info("stats"))?.[1] ?? 0);
const redisCpu = async () => {
  const text = await redis.info("cpu");
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)?.[1] ?? 0);
  return (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1e6;
};
let runs = 0;

async function measure(arm: Arm): Promise<{ cpu: number; redisCpu: number; bytes: number }> {
  const run = ++runs;
  const store = arm.createStore({
    redis,
    namespace: `wp-${run}`,
    retentionDays: 30,
    patientHashKey: "bench-patient-hash-key-0123456789",
    ackTimeoutMs: () => 3_600_000,
  });
  const batcher = new arm.EventBatcher((batch) => store.applyChanges(batch), 64);
  const changes = changesFor(run);
  const bytesBefore = await bytesIn();
  const redisCpuBefore = await redisCpu();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < changes.length) await batcher.fold(changes[next++] as Change);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = (await redisCpu()) - redisCpuBefore;
  const bytes = (await bytesIn()) - bytesBefore;
  return { cpu: (cpu.user + cpu.system) / MESSAGES, redisCpu: serverCpu / MESSAGES, bytes: bytes / MESSAGES };
}

const results = new Map(arms.map((arm) => [arm.name, [] as { cpu: number; redisCpu: number; bytes: number }[]]));
try {
  for (const arm of arms) await measure(arm); // warm-up: JIT, the script cache
  for (let round = 1; round <= ROUNDS; round++) {
    for (const arm of round % 2 === 1 ? arms : [...arms].reverse()) {
      const figures = await measure(arm);
      results.get(arm.name)?.push(figures);
      console.log(
        `round ${round} ${arm.name}: CPU ${figures.cpu.toFixed(0)} µs / message, redis-server ${figures.redisCpu.toFixed(0)} µs / message, Redis bytes in ${figures.bytes.toFixed(0)} / message`,
      );
    }
  }
} finally {
  await redis.quit();
  await server.stop();
}
for (const [name, rows] of results) {
  const mean = (pick: (r: (typeof rows)[number]) => number) =>
    (rows.reduce((sum, r) => sum + pick(r), 0) / rows.length).toFixed(0);
  console.log(
    `${name}: mean CPU ${mean((r) => r.cpu)} µs / message, redis-server ${mean((r) => r.redisCpu)} µs / message over ${rows.length} rounds`,
  );
}
process.exit(0);
