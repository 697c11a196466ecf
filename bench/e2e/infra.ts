/**
 * What every e2e bench scenario stands on: a private nats-server and redis-server (so memory and key deltas
 * belong to the scenario alone), and the measurements read from outside the measured processes —
 * /proc/<pid> for CPU and RSS, Redis INFO / DBSIZE, JetStream stream state.
 */
import { readFileSync } from "node:fs";
import { type RedisServerHandle, startNatsServer, startRedisServer } from "@carehub/testkit";
import type { JetStreamManager } from "@nats-io/jetstream";
import { Redis } from "ioredis";

export interface Infra {
  natsUrl: string;
  redisUrl: string;
  redis: RedisServerHandle;
  stop(): Promise<void>;
}

/**
 * Starts the private servers. SIGINT or SIGTERM (Ctrl-C on a long `bench:catchup`) stops them and removes their
 * directories before the bench exits, which Node's default exit on a signal would not; the hub processes the bench
 * started end with it (bench/e2e/hub-process.ts).
 */
export async function startInfra(): Promise<Infra> {
  const [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: stopping the bench's private nats-server and redis-server`);
    void stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  const stop = (): Promise<void> => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    stopping ??= Promise.all([nats.stop(), redis.stop()]).then(() => undefined);
    return stopping;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { natsUrl: nats.url, redisUrl: redis.url, redis, stop };
}

/**
 * Where every durable consumer on the server stands: per stream, its last sequence and each consumer's ack floor and
 * what it has not finished (pending + in hand). One line, for a long run's progress.
 */
export async function consumerProgress(jsm: JetStreamManager): Promise<string> {
  const parts: string[] = [];
  for await (const stream of jsm.streams.list()) {
    const consumers: string[] = [];
    for await (const consumer of jsm.consumers.list(stream.config.name)) {
      const left = consumer.num_pending + consumer.num_ack_pending;
      consumers.push(`${consumer.name} ${consumer.ack_floor.stream_seq} (${left} left)`);
    }
    if (consumers.length > 0) parts.push(`${stream.config.name} ${stream.state.last_seq}: ${consumers.join(", ")}`);
  }
  return parts.join("; ");
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** user + system CPU, µs. */
  cpuMicros: number;
  rssBytes: number;
  /** Peak RSS since the process started (VmHWM). */
  peakRssBytes: number;
}

/** CPU and memory of another process, read from /proc (Linux). */
export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { cpuMicros: (ticks * 1_000_000) / TICKS_PER_SECOND, rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

/** The same for this process (finer than /proc: µs resolution). */
export function sampleSelf(): ProcSample {
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage.rss();
  return { cpuMicros: cpu.user + cpu.system, rssBytes: rss, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

export interface RedisFootprint {
  usedMemoryBytes: number;
  keys: number;
  /** Calls so far, by command (INFO commandstats). */
  calls: Record<string, number>;
}

/** Keys and bytes (MEMORY USAGE, exact) of one class of keys: `m`, `msgid`, `idx:st`, … */
export interface KeyClassFootprint {
  keys: number;
  bytes: number;
}

/**
 * What a namespace holds in Redis, by class of key: the part after `<ns>:` up to the next `:` (for `idx`,
 * the index's name too), so a message record, a marker and each index can be told apart.
 */
export async function redisKeyClasses(url: string, namespace: string): Promise<Record<string, KeyClassFootprint>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const out: Record<string, KeyClassFootprint> = {};
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1_000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.memory("USAGE", key, "SAMPLES", 0);
      const sizes = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const parts = key.slice(namespace.length + 1).split(":");
        const name = parts[0] === "idx" ? `idx:${parts[1] ?? ""}` : (parts[0] ?? "");
        const entry = out[name] ?? { keys: 0, bytes: 0 };
        out[name] = entry;
        entry.keys++;
        entry.bytes += Number(sizes[i]?.[1] ?? 0);
      });
    } while (cursor !== "0");
    return out;
  } finally {
    redis.disconnect();
  }
}

export async function redisFootprint(url: string): Promise<RedisFootprint> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const info = await redis.info("memory");
    const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
    const calls: Record<string, number> = {};
    for (const [, name, count] of (await redis.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      if (name !== undefined) calls[name] = Number(count);
    return { usedMemoryBytes: used, keys: await redis.dbsize(), calls };
  } finally {
    redis.disconnect();
  }
}

/** Bytes and messages held by every stream whose name starts with `prefix`. */
export async function streamFootprint(
  jsm: JetStreamManager,
  prefix: string,
): Promise<{
  bytes: number;
  messages: number;
  byStream: Record<string, number>;
  messagesByStream: Record<string, number>;
}> {
  let bytes = 0;
  let messages = 0;
  const byStream: Record<string, number> = {};
  const messagesByStream: Record<string, number> = {};
  for await (const info of jsm.streams.list()) {
    if (!info.config.name.startsWith(prefix)) continue;
    bytes += info.state.bytes;
    messages += info.state.messages;
    byStream[info.config.name] = info.state.bytes;
    messagesByStream[info.config.name] = info.state.messages;
  }
  return { bytes, messages, byStream, messagesByStream };
}
