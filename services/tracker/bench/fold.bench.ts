/**
 * What folding lifecycle events costs, event by event (as the tracker did: 4 handlers, one compare-and-set
 * script call each) against in batches (as it does now: up to 64 events in hand, EventBatcher + foldChanges,
 * one MGET and one script call per batch). A private redis-server; the same events in each arm (each message's
 * received, routed, delivered and acknowledged events, interleaved as EVENTS carries them when many messages
 * are in flight), a fresh namespace per arm, the arms alternated. Measured per event: this process's CPU,
 * redis-server's CPU (/proc), commands clients sent (INFO stats, scripts' own left out) and wall time.
 * Results: bench/results/tracker-fold.{json,md}.
 * Usage: node services/tracker/bench/fold.bench.ts   (env: BENCH_MESSAGES=2000, BENCH_ROUNDS=2)
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { LifecycleEvent } from "@carehub/schemas";
import { createStore, type MessageChange } from "@carehub/store";
import { startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { EventBatcher } from "../src/event-batcher.ts";
import { foldChanges, foldEvent } from "../src/event-handler.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WINDOW = 50; // messages in flight at once: their events interleave on EVENTS
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));
const T0 = Date.now() - 3_600_000;

function lifeOf(i: number): LifecycleEvent[] {
  const hubId = `0190f3a2-7c1e-7000-8000-${String(i).padStart(12, "0")}`;
  const base = {
    schemaVersion: 1 as const,
    hubId,
    messageId: `msg-${i}`,
    sourceEndpoint: `practice-${i % 7}`,
    kind: "lab-result" as const,
    traceId: hubId.replaceAll("-", ""),
  };
  const receiver = `hospital-${i % 5}`;
  const at = (ms: number) => new Date(T0 + i * 10 + ms).toISOString();
  return [
    { ...base, type: "received", eventId: `${hubId}:received`, at: at(0), contentType: "application/xml", size: 2_700 },
    { ...base, type: "routed", eventId: `${hubId}:routed`, at: at(5), receivers: [receiver], ruleCopies: [] },
    {
      ...base,
      type: "delivered",
      eventId: `${hubId}:delivered:${receiver}:1`,
      at: at(9),
      endpoint: receiver,
      attempt: 1,
      durationMs: 3,
    },
    {
      ...base,
      type: "acknowledged",
      eventId: `${hubId}:acknowledged:${receiver}`,
      at: at(400),
      endpoint: receiver,
      code: "ok",
      ackHubId: `${hubId}-ack`,
    },
  ];
}

function eventStream(): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  for (let start = 0; start < MESSAGES; start += WINDOW) {
    const lives = Array.from({ length: Math.min(WINDOW, MESSAGES - start) }, (_, k) => lifeOf(start + k));
    for (let step = 0; step < 4; step++) for (const life of lives) out.push(life[step] as LifecycleEvent);
  }
  return out;
}

/** Runs `handle` over the events with `inHand` handlers at once, as the bus consumer does. */
async function consume(
  events: readonly LifecycleEvent[],
  inHand: number,
  handle: (e: LifecycleEvent) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < events.length) await handle(events[next++] as LifecycleEvent);
  };
  await Promise.all(Array.from({ length: inHand }, worker));
}

function redisServerPid(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(redis-server)") && Number(fields[1]) === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function cpuMicrosOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // utime + stime, clock ticks of 10 ms
}

interface ArmFigures {
  arm: string;
  round: number;
  clientCpuMicrosPerEvent: number;
  redisCpuMicrosPerEvent: number;
  /** Script calls (EVALSHA / EVAL) and MGETs per event: round trips, as clients sent them. */
  scriptCallsPerEvent: number;
  mgetsPerEvent: number;
  /** Every command Redis ran, scripts' own included (INFO stats). */
  commandsPerEvent: number;
  wallMs: number;
}

const server = await startRedisServer();
const redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
const pid = redisServerPid();
const events = eventStream();
const commands = async () => Number(/^total_commands_processed:(\d+)/m.exec(await redis.info("stats"))?.[1] ?? 0);
async function calls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [, name, count] of (await redis.info("commandstats")).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    out[name as string] = Number(count);
  return out;
}

async function measure(arm: "one by one, 4 at once" | "batches, 64 in hand", round: number): Promise<ArmFigures> {
  const store = createStore({
    redis,
    namespace: `fold-${round}-${arm.startsWith("one") ? "single" : "batch"}`,
    retentionDays: 30,
    patientHashKey: "bench-patient-hash-key-0123456789",
    ackTimeoutMs: () => 3_600_000,
  });
  const batcher = new EventBatcher<MessageChange>((batch) => foldChanges(store, batch), 64);
  const handle =
    arm === "batches, 64 in hand"
      ? (e: LifecycleEvent) => batcher.fold({ event: e })
      : (e: LifecycleEvent) => foldEvent(store, e);
  const callsBefore = await calls();
  const commandsBefore = await commands();
  const redisBefore = pid === undefined ? 0 : cpuMicrosOf(pid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await consume(events, arm === "batches, 64 in hand" ? 64 : 4, handle);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = pid === undefined ? 0 : cpuMicrosOf(pid) - redisBefore;
  const sent = (await commands()) - commandsBefore - 1; // the INFO that read the counter
  const callsAfter = await calls();
  const delta = (name: string) => (callsAfter[name] ?? 0) - (callsBefore[name] ?? 0);
  const n = events.length;
  return {
    arm,
    round,
    clientCpuMicrosPerEvent: Math.round((cpu.user + cpu.system) / n),
    redisCpuMicrosPerEvent: Math.round(redisCpu / n),
    scriptCallsPerEvent: Number(((delta("evalsha") + delta("eval")) / n).toFixed(3)),
    mgetsPerEvent: Number((delta("mget") / n).toFixed(3)),
    commandsPerEvent: Number((sent / n).toFixed(2)),
    wallMs: Math.round(wallMs),
  };
}

const figures: ArmFigures[] = [];
try {
  // Warm-up: JIT, the script cache, connections.
  await measure("one by one, 4 at once", 0);
  await measure("batches, 64 in hand", 0);
  for (let round = 1; round <= ROUNDS; round++) {
    figures.push(await measure("one by one, 4 at once", round));
    figures.push(await measure("batches, 64 in hand", round));
  }
} finally {
  await redis.quit();
  await server.stop();
}

const result = {
  date: new Date().toISOString(),
  command: "node services/tracker/bench/fold.bench.ts",
  node: process.version,
  messages: MESSAGES,
  events: events.length,
  loadAverage: loadavg(),
  figures,
};
const lines = [
  "# Tracker: folding lifecycle events one by one or in batches",
  "",
  `\`${result.command}\` — ${result.date}, Node ${result.node}, private redis-server, ${MESSAGES} messages × 4 events ` +
    `interleaved ${WINDOW} messages at a time; load average at the end ${result.loadAverage.map((l) => l.toFixed(1)).join(" / ")}.`,
  "",
  "| arm | round | client CPU µs / event | redis-server CPU µs / event | script calls / event | MGET / event | commands run / event | wall ms |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...figures.map(
    (f) =>
      `| ${f.arm} | ${f.round} | ${f.clientCpuMicrosPerEvent} | ${f.redisCpuMicrosPerEvent} | ${f.scriptCallsPerEvent} | ${f.mgetsPerEvent} | ${f.commandsPerEvent} | ${f.wallMs} |`,
  ),
  "",
  "CPU is user + system time over the arm (this process: the store's fold and ioredis; redis-server: /proc, 10 ms",
  "ticks). Script calls and MGETs are round trips as clients sent them (INFO commandstats; the one-by-one arm also",
  "sends a GET before a record's first write); commands run include those scripts run inside Redis (INFO stats).",
  "",
];
writeFileSync(`${RESULTS}tracker-fold.json`, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(`${RESULTS}tracker-fold.md`, lines.join("\n"));
console.log(lines.join("\n"));
process.exit(0);
