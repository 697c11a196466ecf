/**
 * The keyed order's own cost per task (docs/decisions/0120), in process, no servers: CPU per task of `KeyedOrder`
 * as intake uses it (one key per sender, the turn passed mid-task, a waiting task noticed) and as the tracker uses
 * it (several keys per task, the turn passed when it settles), with up to `--in-hand` tasks in hand as a consumer
 * keeps them. With `--baseline=<checkout>` the two implementations it replaced (intake's `inSenderLanes`, the
 * tracker's `InOrder`, read from that checkout, e.g. the round's start) run in the same process, alternating round
 * by round. Reported as CPU time (process.cpuUsage): on a shared, loaded machine wall time mostly measures the others.
 * Usage: node packages/bus/bench/keyed-order.bench.ts [--tasks=200000] [--rounds=5] [--in-hand=8] [--baseline=/path]
 */
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { KeyedOrder, type Turn } from "../src/keyed-order.ts";

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value = ""] = arg.replace(/^--/, "").split("=");
    return [name, value] as const;
  }),
);
const TASKS = Number(args.get("tasks") ?? 200_000);
const ROUNDS = Number(args.get("rounds") ?? 5);
const IN_HAND = Number(args.get("in-hand") ?? 8);
const baselineRoot = args.get("baseline");

/** Runs one task for message `i` through an ordering; resolves when the task is done. */
type Runner = (i: number) => Promise<void>;
interface Shape {
  name: string;
  runner: () => Runner;
}

/** The work of a task: a few awaits, as a handler's round trips settle (no I/O: the ordering's cost is measured). */
async function work(turn?: Turn): Promise<void> {
  await Promise.resolve();
  turn?.passTurn();
  await Promise.resolve();
}

const noticed = () => {};
const intakeKey = (i: number) => (i % 2 === 0 ? "carehub.ingress.acute-team" : "carehub.ingress.lab");
const trackerKeys = (i: number) =>
  i % 3 === 0 ? [`appointment:A${i % 40}`, `referral:R${i % 50}`] : [`referral:R${i % 50}`];

const current: Shape[] = [
  {
    name: "intake   KeyedOrder",
    runner: () => {
      const order = new KeyedOrder();
      return (i) => order.run(intakeKey(i), (turn) => work(turn), noticed);
    },
  },
  {
    name: "intake   KeyedOrder no notices",
    runner: () => {
      const order = new KeyedOrder();
      return (i) => order.run(intakeKey(i), (turn) => work(turn));
    },
  },
  {
    name: "tracker  KeyedOrder",
    runner: () => {
      const order = new KeyedOrder();
      return (i) => order.run(trackerKeys(i), () => work(), noticed);
    },
  },
];

async function baselineShapes(root: string): Promise<Shape[]> {
  const at = (path: string) => pathToFileURL(join(resolve(root), path)).href;
  const lanes = (await import(at("services/intake/src/sender-lanes.ts"))) as {
    inSenderLanes: <M>(
      senderOf: (m: M) => string,
      handler: (m: M, turn: Turn) => Promise<void>,
    ) => (m: M) => Promise<void>;
  };
  const inOrder = (await import(at("services/tracker/src/in-order.ts"))) as {
    InOrder: new () => {
      run<T>(
        keys: string | readonly string[],
        task: () => Promise<T>,
        waiting?: { everyMs: number; notify: () => void },
      ): Promise<T>;
    };
  };
  return [
    {
      name: "intake   inSenderLanes (baseline)",
      runner: () => {
        const handle = lanes.inSenderLanes<number>(intakeKey, (_i, turn) => work(turn));
        return (i) => handle(i);
      },
    },
    {
      name: "tracker  InOrder (baseline)",
      runner: () => {
        const order = new inOrder.InOrder();
        return (i) => order.run(trackerKeys(i), () => work(), { everyMs: 5_000, notify: noticed });
      },
    },
  ];
}

/** Hands TASKS tasks over with at most IN_HAND in hand, as the bus consumer does; returns CPU µs per task. */
async function measure(shape: Shape): Promise<number> {
  const run = shape.runner();
  const inFlight = new Set<Promise<void>>();
  const before = process.cpuUsage();
  for (let i = 0; i < TASKS; i++) {
    while (inFlight.size >= IN_HAND) await Promise.race(inFlight);
    const task: Promise<void> = run(i).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / TASKS;
}

const shapes = [...current, ...(baselineRoot === undefined ? [] : await baselineShapes(baselineRoot))];
// Warm-up: the JIT, unreported.
for (const shape of shapes) await measure(shape);
console.log(
  `keyed order, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}, ${TASKS} tasks per run, ${IN_HAND} in hand`,
);
const results = new Map<string, number[]>(shapes.map((s) => [s.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order of the runs from round to round.
  const order = round % 2 === 0 ? shapes : [...shapes].reverse();
  for (const shape of order) results.get(shape.name)?.push(await measure(shape));
}
for (const [name, values] of results) {
  console.log(`${name.padEnd(36)} CPU per task: ${values.map((v) => `${v.toFixed(2)} µs`).join(" / ")}`);
}
