/**
 * The consume → publish → ack path of a forwarding stage (intake and router are shaped so: read a message, store
 * what it produced with an awaited JetStream publish, ack with confirmation), this checkout's bus against another
 * checkout's, alternated in one process on one private nats-server (decision 0103, docs/performance.md).
 *
 *   node packages/bus/bench/ack-path.bench.ts --against=<another checkout of carehub> [--messages=3000] [--rounds=4] [--concurrency=4]
 *
 * Per phase: CPU of this process per message (process.cpuUsage), its write and read syscalls per message
 * (/proc/self/io: only the measured bus is busy during a phase) and messages per second. The messages are stored
 * before each phase; only their consumption is timed.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startNatsServer } from "@carehub/testkit";
import type { Bus } from "../src/index.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const against = value("against");
if (against === undefined) throw new Error("--against=<checkout> is required");
const MESSAGES = Number(value("messages") ?? 3_000);
const ROUNDS = Number(value("rounds") ?? 4);
const CONCURRENCY = Number(value("concurrency") ?? 4);
const payload = new Uint8Array(2_700).fill(120);

type ConnectBus = (options: { servers: string; name: string; namespace: string }) => Promise<Bus>;
const load = async (file: string): Promise<ConnectBus> =>
  ((await import(pathToFileURL(file).href)) as { connectBus: ConnectBus }).connectBus;

function io(): { writes: number; reads: number } {
  const text = readFileSync("/proc/self/io", "utf8");
  return { writes: Number(/syscw: (\d+)/.exec(text)?.[1]), reads: Number(/syscr: (\d+)/.exec(text)?.[1]) };
}

async function phase(bus: Bus, tag: string): Promise<string> {
  const t = bus.topology;
  const input = t.subjects.ingress(tag);
  for (let i = 0; i < MESSAGES; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, MESSAGES - i) }, (_, j) =>
        bus.publish(input, payload, { msgId: `${tag}-${i + j}` }),
      ),
    );
  }
  await bus.ensureConsumer(t.streams.ingress, { durable: tag, filterSubject: input });
  let count = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const startedAt = performance.now();
  const cpu = process.cpuUsage();
  const before = io();
  const running = await bus.consume({
    stream: t.streams.ingress,
    durable: tag,
    filterSubject: input,
    stage: "bench",
    concurrency: CONCURRENCY,
    handler: async (message) => {
      await bus.publish(t.subjects.pipeline(tag), message.data, { msgId: `${tag}-out-${message.seq}` });
      if (++count === MESSAGES) done();
    },
  });
  await finished;
  await running.stop();
  const used = process.cpuUsage(cpu);
  const after = io();
  const seconds = (performance.now() - startedAt) / 1000;
  return [
    `${Math.round(MESSAGES / seconds)} msg/s`,
    `CPU ${((used.user + used.system) / MESSAGES).toFixed(1)} µs/msg`,
    `writes ${((after.writes - before.writes) / MESSAGES).toFixed(2)}/msg`,
    `reads ${((after.reads - before.reads) / MESSAGES).toFixed(2)}/msg`,
  ].join(", ");
}

const server = await startNatsServer();
try {
  const sides: [string, ConnectBus][] = [
    ["A (against)", await load(resolve(against, "packages/bus/src/index.ts"))],
    ["B (this)", await load(resolve(import.meta.dirname, "../src/index.ts"))],
  ];
  const buses = await Promise.all(
    sides.map(([, connect], i) => connect({ servers: server.url, name: `ack-path-${i}`, namespace: `ackpath${i}` })),
  );
  for (const bus of buses) await bus.provision();
  // Warm-up of both (JIT, connection buffers), not printed.
  for (const [i, bus] of buses.entries()) await phase(bus, `warm${i}`);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const line = await phase(buses[i] as Bus, `r${round}s${i}`);
      console.log(`round ${round + 1} ${sides[i]?.[0]}: ${line}; load ${loadavg()[0]?.toFixed(1)}`);
    }
  }
  for (const bus of buses) await bus.drain();
} finally {
  await server.stop();
}
