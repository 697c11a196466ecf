/**
 * `opArguments` (redis-scripts.ts) of this checkout against another's, in one process: the same op lists — shaped
 * like a message record's writes (its member in a status, sender, kind, receiver and pair index, a patient index,
 * counters moved in `idx:stats` and the day's hash, a timer, the day hash's expiry), drawn from a seeded generator
 * and shuffled — fed to both, the arms alternated (the order swapped every round). Fails when the two give other
 * script arguments for any list: what Redis is sent must not change with how it is computed. Prints µs of CPU per
 * record per arm and round (docs/performance.md, cpr18 round).
 * Usage: node packages/store/bench/op-arguments.bench.ts --base=<another checkout> [--records=5000] [--rounds=8]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { WriteOp } from "../src/write-plan.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const other = value("base");
if (other === undefined) throw new Error("usage: op-arguments.bench.ts --base=<another checkout>");
const RECORDS = Number(value("records") ?? 5_000);
const ROUNDS = Number(value("rounds") ?? 8);

type OpArguments = (ops: readonly WriteOp[], indexOf: (key: string) => number) => (string | number)[];
const load = async (root: URL): Promise<OpArguments> =>
  (await import(new URL("packages/store/src/redis-scripts.ts", root).href)).opArguments;
const arms: Array<[string, OpArguments]> = [
  ["this checkout", await load(new URL("../../../", import.meta.url))],
  [resolve(other), await load(pathToFileURL(`${resolve(other)}/`))],
];

let seed = 20261207;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const STATUSES = ["received", "routed", "delivered", "acknowledged", "failed"];

/** One record's ops: indexes entered (and, for a moved status, left), counters in both hashes, a timer, an expiry. */
function record(i: number): WriteOp[] {
  const member = `AZDzonwecACAAQAAAA${String(i).padStart(4, "0")}`;
  const score = 1_796_631_087_000 + i;
  const [from, to] = [STATUSES[random(5)] as string, STATUSES[random(5)] as string];
  const receivers = Array.from({ length: 1 + random(3) }, (_, r) => `practice-${(i + r) % 7}`);
  const ops: WriteOp[] = [];
  if (from !== to) ops.push({ op: "bzrem", key: `ns:idx:st:${from}`, score, member });
  ops.push({ op: "bzadd", key: `ns:idx:st:${to}`, score, member });
  if (random(2) === 0) {
    ops.push({ op: "bzadd", key: "ns:idx:from:lab-1", score, member });
    ops.push({ op: "bzadd", key: "ns:idx:kind:lab-result", score, member });
    for (const r of receivers) {
      ops.push({ op: "bzadd", key: `ns:idx:to:${r}`, score, member });
      ops.push({ op: "bzadd", key: `ns:idx:pair:lab-1:${r}`, score, member });
    }
    ops.push({ op: "zadd", key: `ns:idx:pt:${member.slice(0, 10)}`, score, member });
  }
  const counters: Array<[string, number]> = [];
  if (from !== to) counters.push([`f|lab-1|lab-result|${from}`, -1]);
  counters.push([`f|lab-1|lab-result|${to}`, 1]);
  for (const r of receivers) {
    const was = STATUSES[random(5)] as string;
    if (was !== to) counters.push([`t|${r}|lab-result|${was}`, -1]);
    counters.push([`t|${r}|lab-result|${to}`, 1]);
  }
  for (const hash of ["ns:idx:stats", "ns:idx:stats:day:2026-12-07"]) {
    for (const [field, by] of counters) ops.push({ op: "hincr", key: hash, field, by });
  }
  if (random(3) === 0)
    ops.push({ op: "zadd", key: "ns:timers", score: score + 3_600_000, member: `a|${i}|${receivers[0]}` });
  ops.push({ op: "pexpireat", key: "ns:idx:stats:day:2026-12-07", at: 1_799_366_400_000 });
  // As planned, or in another order: the pairing must not depend on it.
  if (random(2) === 0) return ops;
  for (let k = ops.length - 1; k > 0; k--) {
    const j = random(k + 1);
    [ops[k], ops[j]] = [ops[j] as WriteOp, ops[k] as WriteOp];
  }
  return ops;
}

const records = Array.from({ length: RECORDS }, (_, i) => record(i));
const keyIndex = () => {
  const index = new Map<string, number>();
  return (key: string) => index.get(key) ?? index.set(key, index.size + 1).get(key) ?? 0;
};
const [[, mine], [, theirs]] = arms as [[string, OpArguments], [string, OpArguments]];
const differ = records.filter(
  (ops) => JSON.stringify(mine(ops, keyIndex())) !== JSON.stringify(theirs(ops, keyIndex())),
);
console.log(`${records.length} op lists, ${differ.length} with other arguments`);
if (differ.length > 0) {
  console.log(JSON.stringify(differ[0]));
  process.exit(1);
}
for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, opArguments] of round % 2 === 1 ? arms : [...arms].reverse()) {
    const before = process.cpuUsage();
    for (let repeat = 0; repeat < 5; repeat++) for (const ops of records) opArguments(ops, keyIndex());
    const used = process.cpuUsage(before);
    console.log(`round ${round} ${name}: ${((used.user + used.system) / (5 * records.length)).toFixed(2)} µs / record`);
  }
}
