/**
 * Bus wrapper vs raw @nats-io/jetstream, in one run against the shared NATS, in a private namespace:
 *   - publish: acked JetStream publishes with WINDOW outstanding at a time
 *   - consume: durable pull consumer, ack each message
 * Each measurement runs RUNS times; the median is reported. Results: bench/results/bus.{json,md}.
 * Usage: pnpm bench:bus   (env: NATS_URL — else a private nats-server on a free port —, BENCH_MESSAGES, BENCH_SIZE,
 *   BENCH_WINDOW, BENCH_RUNS)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupNamespace, provideTestServers, sharedNatsUrl, testNamespace } from "@carehub/testkit";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type Bus, connectBus } from "../src/index.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const SIZE = Number(process.env.BENCH_SIZE ?? 1024);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

const payload = new Uint8Array(SIZE).fill(120);

/** Runs `send(i)` for i in [0, count) with at most `window` unresolved at a time. */
async function windowed(count: number, window: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let inFlight = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    inFlight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (let i = 0; i < count; i++) {
    while (inFlight >= window) await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw failure;
    inFlight++;
    send(i).then(settle, (error: unknown) => {
      failure = error;
      settle();
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure !== undefined) throw failure;
}

interface Measurement {
  msgsPerSec: number;
  /** Process CPU (user + system) per message: less disturbed than wall time when the machine is shared. */
  cpuMicrosPerMsg: number;
}

async function timed(fn: () => Promise<void>): Promise<Measurement> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(cpu);
  return {
    msgsPerSec: MESSAGES / ((performance.now() - started) / 1000),
    cpuMicrosPerMsg: (used.user + used.system) / MESSAGES,
  };
}

type Variant = "publishRaw" | "publishBus" | "consumeRaw" | "consumeBus" | "consumeRawAckAck" | "consumeBusConfirmed";

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function publishRaw(js: JetStreamClient, subject: string, tag: string): Promise<Measurement> {
  return timed(() => windowed(MESSAGES, WINDOW, (i) => js.publish(subject, payload, { msgID: `${tag}-${i}` })));
}

function publishBus(bus: Bus, subject: string, tag: string): Promise<Measurement> {
  return timed(() => windowed(MESSAGES, WINDOW, (i) => bus.publish(subject, payload, { msgId: `${tag}-${i}` })));
}

async function consumeRaw(
  bus: Bus,
  stream: string,
  filterSubject: string,
  durable: string,
  confirm: boolean,
): Promise<Measurement> {
  await bus.ensureConsumer(stream, { durable, filterSubject });
  const consumer = await bus.js.consumers.get(stream, durable);
  return timed(async () => {
    const messages = await consumer.consume({ max_messages: 100 });
    const confirmations: Promise<boolean>[] = [];
    let count = 0;
    for await (const m of messages) {
      if (confirm) confirmations.push(m.ackAck());
      else m.ack();
      if (++count === MESSAGES) break;
    }
    await Promise.all(confirmations);
    await messages.close();
  });
}

async function consumeBus(
  bus: Bus,
  stream: string,
  filterSubject: string,
  durable: string,
  confirmAcks: boolean,
): Promise<Measurement> {
  await bus.ensureConsumer(stream, { durable, filterSubject });
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let count = 0;
  return timed(async () => {
    const running = await bus.consume({
      stream,
      durable,
      filterSubject,
      stage: "bench",
      batch: 100,
      confirmAcks,
      handler: async () => {
        if (++count === MESSAGES) done();
      },
    });
    await finished;
    await running.stop();
  });
}

async function main(): Promise<void> {
  const namespace = testNamespace("bench");
  const bus = await connectBus({ servers: sharedNatsUrl(), name: "bus-bench", namespace });
  const t = bus.topology;
  try {
    await bus.provision();
    const runs: Record<Variant, Measurement[]> = {
      publishRaw: [],
      publishBus: [],
      consumeRaw: [],
      consumeBus: [],
      consumeRawAckAck: [],
      consumeBusConfirmed: [],
    };
    // Warm-up (JIT, connection buffers), not measured.
    await windowed(2_000, WINDOW, (i) => bus.publish(t.subjects.ingress("warmup"), payload, { msgId: `w-${i}` }));

    for (let run = 0; run < RUNS; run++) {
      // Alternate the order so neither side always goes first.
      const rawSubject = t.subjects.ingress(`raw-${run}`);
      const busSubject = t.subjects.ingress(`bus-${run}`);
      const stream = t.streams.ingress;
      const pairs: [Variant, () => Promise<Measurement>][][] = [
        [
          ["publishRaw", () => publishRaw(bus.js, rawSubject, `raw-${run}`)],
          ["publishBus", () => publishBus(bus, busSubject, `bus-${run}`)],
        ],
        // Every consumer reads the same stored messages (those the bus published in this run).
        [
          ["consumeRaw", () => consumeRaw(bus, stream, busSubject, `raw-${run}`, false)],
          ["consumeBus", () => consumeBus(bus, stream, busSubject, `bus-${run}`, false)],
        ],
        [
          ["consumeRawAckAck", () => consumeRaw(bus, stream, busSubject, `rawc-${run}`, true)],
          ["consumeBusConfirmed", () => consumeBus(bus, stream, busSubject, `busc-${run}`, true)],
        ],
      ];
      for (const pair of pairs) {
        for (const [variant, measure] of run % 2 === 0 ? pair : [...pair].reverse())
          runs[variant].push(await measure());
      }
      const line = (Object.keys(runs) as Variant[])
        .map((v) => `${v} ${Math.round(runs[v][run]?.msgsPerSec ?? 0)}/s ${runs[v][run]?.cpuMicrosPerMsg.toFixed(1)}µs`)
        .join(" | ");
      console.log(`run ${run + 1}/${RUNS}: ${line}`);
    }
    const serverVersion = bus.nc.info?.version ?? "unknown";
    const summary = (variant: Variant) => ({
      msgsPerSec: median(runs[variant].map((m) => m.msgsPerSec)),
      cpuMicrosPerMsg: median(runs[variant].map((m) => m.cpuMicrosPerMsg)),
      runs: runs[variant],
    });
    const compare = (raw: Variant, wrapped: Variant) => {
      const r = summary(raw);
      const b = summary(wrapped);
      return {
        raw: r,
        bus: b,
        ratio: b.msgsPerSec / r.msgsPerSec,
        cpuRatio: r.cpuMicrosPerMsg / b.cpuMicrosPerMsg,
      };
    };
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      natsServer: serverVersion,
      messages: MESSAGES,
      sizeBytes: SIZE,
      publishWindow: WINDOW,
      runs: RUNS,
      loadAverage: loadavg(),
      publish: compare("publishRaw", "publishBus"),
      consume: compare("consumeRaw", "consumeBus"),
      consumeConfirmed: compare("consumeRawAckAck", "consumeBusConfirmed"),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, "bus.json"), `${JSON.stringify(result, null, 2)}\n`);
    const pct = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;
    const n = (value: number): string => Math.round(value).toLocaleString("en-US");
    const row = (label: string, c: ReturnType<typeof compare>): string =>
      `| ${label} | ${n(c.raw.msgsPerSec)} msg/s (${c.raw.cpuMicrosPerMsg.toFixed(1)} µs CPU) | ${n(c.bus.msgsPerSec)} msg/s (${c.bus.cpuMicrosPerMsg.toFixed(1)} µs CPU) | ${pct(c.ratio)} | ${pct(c.cpuRatio)} |`;
    const md = [
      "# Bus benchmark",
      "",
      `\`pnpm bench:bus\` — ${MESSAGES.toLocaleString("en-US")} messages × ${SIZE} B, median of ${RUNS} runs, nats-server ${serverVersion}, Node ${process.version}, ${result.date}.`,
      `Same process, same connection, shared NATS (file storage), load average at the end ${result.loadAverage.map((l) => l.toFixed(1)).join(" / ")} on ${cpus().length} cores.`,
      "No tracer registered (spans are non-recording, as in a service started without an exporter).",
      "",
      "| measurement | raw @nats-io/jetstream | @carehub/bus | throughput bus / raw | CPU efficiency bus / raw |",
      "| --- | ---: | ---: | ---: | ---: |",
      row(`publish, acked, ${WINDOW} outstanding`, result.publish),
      row("pull consume, plain ack each (bus `confirmAcks: false`)", result.consume),
      row("pull consume, confirmed ack each (raw `ackAck()` not awaited; bus default)", result.consumeConfirmed),
      "",
      "CPU efficiency = raw CPU per message / bus CPU per message (process user + system time): steadier than",
      "wall-clock throughput on a machine shared with other work.",
      "",
      "Per message the bus adds: on publish, carehub headers and a PRODUCER span; on consume, a CONSUMER span,",
      "trace-context extraction, metrics (counts aggregated per consumer, latency histogram), the ack / nak /",
      "dead-letter mapping, and acks sent in the write that ends the handler's piece of work (decision 0103).",
      "",
    ].join("\n");
    writeFileSync(join(RESULTS, "bus.md"), md);
    console.log(md);
  } finally {
    await cleanupNamespace({ namespace, bus });
    await bus.drain();
  }
}

const servers = await provideTestServers();
try {
  await main();
} finally {
  await servers.stop();
}
