/**
 * What the one-stage backlog benches share (services/router/bench/backlog.bench.ts, services/intake/bench/
 * backlog.bench.ts): a stage alone works through a backlog already on its stream, on private servers started by
 * this process, and is measured per message — this process's CPU (the stage with its NATS and Redis clients; the
 * backlog was published before the clock started), nats-server's and redis-server's CPU (/proc), the wall time,
 * redis-server's commands and client-socket reads and writes (its round trips, when one message is in hand), and
 * this process's read and write system calls (/proc/self/io: its socket reads and writes, mostly).
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { Redis } from "ioredis";
import { childPids } from "./children.ts";
import { sampleProcess } from "./infra.ts";

/** The bench's options, `--name=value`. */
export function benchOption(name: string): string | undefined {
  return process.argv
    .slice(2)
    .find((a) => a.startsWith(`--${name}=`))
    ?.split("=")[1];
}

/** redis-server's counters: commands, and the reads and writes of client sockets it made (round trips). */
async function redisStats(redis: Redis): Promise<{ commands: number; reads: number; writes: number }> {
  const info = await redis.info("stats");
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return {
    commands: field("total_commands_processed"),
    reads: field("total_reads_processed"),
    writes: field("total_writes_processed"),
  };
}

/** CPU seconds (user + system) of one of this process's server children, from /proc; 0 when there is none. */
function serverCpu(name: string): { pid: number | undefined; seconds: () => number } {
  const pid = childPids(name)[0];
  return { pid, seconds: () => (pid === undefined ? 0 : sampleProcess(pid).cpuMicros / 1e6) };
}

/** This process's read and write system calls so far (/proc/self/io): its socket reads and writes, mostly. */
function ownSyscalls(): { reads: number; writes: number } {
  const text = readFileSync("/proc/self/io", "utf8");
  return { reads: Number(/syscr: (\d+)/.exec(text)?.[1] ?? 0), writes: Number(/syscw: (\d+)/.exec(text)?.[1] ?? 0) };
}

/** Polls the stage's consumer until its ack floor reaches `lastSeq` (everything up to it handled). */
async function untilAckFloor(jsm: JetStreamManager, stream: string, durable: string, lastSeq: number): Promise<void> {
  for (;;) {
    const info = await jsm.consumers.info(stream, durable);
    if (info.ack_floor.stream_seq >= lastSeq) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface BacklogMeter {
  /** The figures since `startBacklogMeter`, per message, as one report line's middle part. */
  stop(): Promise<string>;
}

/** Starts the clock and the counters; `count` messages (`unit`: "envelope", "message") are to be handled. */
async function startBacklogMeter(redis: Redis, count: number, unit: string, stage: string): Promise<BacklogMeter> {
  const nats = serverCpu("nats-server");
  const redisServer = serverCpu("redis-server");
  const redisBefore = await redisStats(redis);
  const before = {
    syscalls: ownSyscalls(),
    self: process.cpuUsage(),
    nats: nats.seconds(),
    redis: redisServer.seconds(),
    at: performance.now(),
    load: loadavg()[0] ?? 0,
  };
  return {
    stop: async () => {
      const seconds = (performance.now() - before.at) / 1000;
      const self = process.cpuUsage(before.self);
      const syscalls = ownSyscalls();
      const redisAfter = await redisStats(redis);
      const per = (cpuSeconds: number) => Math.round((cpuSeconds * 1e6) / count);
      const server = (cpu: typeof nats, at: number) => (cpu.pid === undefined ? "?" : per(cpu.seconds() - at));
      const perMessage = (n: number) => (n / count).toFixed(2);
      return (
        `load ${before.load.toFixed(1)}; ${count} ${unit}s in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s); ` +
        `CPU per ${unit}: ${stage} ${per((self.user + self.system) / 1e6)} µs, nats-server ${server(nats, before.nats)} µs, ` +
        `redis-server ${server(redisServer, before.redis)} µs; Redis per ${unit}: ` +
        `${perMessage(redisAfter.commands - redisBefore.commands)} commands, ` +
        `${perMessage(redisAfter.reads - redisBefore.reads)} reads (requests), ` +
        `${perMessage(redisAfter.writes - redisBefore.writes)} writes; system calls per ${unit} (${stage}'s process): ` +
        `${perMessage(syscalls.writes - before.syscalls.writes)} writes, ${perMessage(syscalls.reads - before.syscalls.reads)} reads`
      );
    },
  };
}

/** A stage started on a backlog already in place: its consumer, and how to start and stop it. */
export interface StageUnderTest {
  stage: string;
  /** What one message is called in the report ("envelope", "message"). */
  unit: string;
  count: number;
  redis: Redis;
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  lastSeq: number;
  start(): Promise<{ stop(): Promise<void> }>;
}

/** Starts the stage, waits until its consumer's ack floor reaches the backlog's end, stops it: that span's figures. */
export async function measureStage(stage: StageUnderTest): Promise<string> {
  const meter = await startBacklogMeter(stage.redis, stage.count, stage.unit, stage.stage);
  const running = await stage.start();
  await untilAckFloor(stage.jsm, stage.stream, stage.durable, stage.lastSeq);
  const figures = await meter.stop();
  await running.stop();
  return figures;
}

/**
 * Runs every concurrency once per round, so that the values alternate on the same servers, printing each run's
 * line (`run` numbers the runs: each gets a namespace of its own); `close` ends it all, also after a failure.
 */
export async function alternateRounds(
  concurrencies: readonly number[],
  rounds: number,
  runOnce: (concurrency: number, run: number) => Promise<string>,
  close: () => Promise<void>,
  warmUp?: (run: number) => Promise<string>,
): Promise<void> {
  try {
    let run = 0;
    if (warmUp !== undefined) console.log(`warm-up, not compared: ${await warmUp(run++)}`);
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of concurrencies) console.log(await runOnce(concurrency, run++));
    }
  } finally {
    await close();
  }
}
