/**
 * What the ledger's per-message keys cost in Redis, this checkout's ledger against another checkout's, on one
 * private redis-server (decision 0110, docs/performance.md "The ledger's keys at rest").
 *
 *   node packages/ledger/bench/key-footprint.bench.ts --against=<another checkout of carehub> [--messages=2000]
 *
 * For each side, in a namespace of its own: every message admitted and recorded as the gateway does, claimed as
 * intake does, and marked received at one receiver as the router does (`SET … EX` of the receiver's key), with UUID
 * message ids from four senders whose ids are 5 to 18 characters long; and its marker hash as the router and the
 * dispatcher leave it (the routed field, then the receiver's delivered field, each with the retention: decision
 * 0119). Then MEMORY USAGE of every key of the namespace, per class (`mk`, `msgid` before 0124, `rcvd`), per
 * message. Exact, not timed: run it anywhere. Also redis-server's CPU per message for those operations (INFO cpu
 * before and after, the sides alternated `--rounds` times): what the first copy's script costs in Redis against
 * `SET NX` / `SET NX GET` (decision 0124) — timed, so on a quiet machine and read as pairs.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import type { LedgerKeys, MessageLedger, MessageLedgerOptions } from "../src/index.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const against = value("against");
if (against === undefined) throw new Error("--against=<checkout> is required");
const MESSAGES = Number(value("messages") ?? 2_000);
const ROUNDS = Number(value("rounds") ?? 1);
const SENDERS = ["practice-a", "hospital-aarhus-uh", "lab-x", "5790000123456"];
const RECEIVERS = ["practice-b", "databank", "municipality-aarhus"];
const RETENTION_DAYS = 30;

interface LedgerModule {
  MessageLedger: new (options: MessageLedgerOptions) => MessageLedger;
  ledgerKeys: (ns: string) => LedgerKeys;
}

async function load(entry: string): Promise<LedgerModule> {
  return (await import(pathToFileURL(entry).href)) as LedgerModule;
}

/** redis-server's CPU so far (user + system), in microseconds. */
async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
}

async function measure(redis: Redis, module: LedgerModule, namespace: string): Promise<string> {
  const ledger = new module.MessageLedger({
    redis,
    namespace,
    retentionDays: RETENTION_DAYS,
    hubEndpointId: "carehub",
  });
  const keys = module.ledgerKeys(namespace);
  const cpuBefore = await redisCpuMicros(redis);
  for (let i = 0; i < MESSAGES; i++) {
    const message = { endpoint: SENDERS[i % SENDERS.length] as string, messageId: randomUUID(), kind: "letter" };
    const admission = await ledger.admit(message, "copy");
    await ledger.recordAdmitted(message, admission.repeat ? "" : (admission.hubId ?? ""), 1_000 + i);
    await ledger.claim(message, { stream: "INGRESS", seq: 1_000 + i });
    const receiver = RECEIVERS[i % RECEIVERS.length] as string;
    await redis.set(keys.received(receiver, message.messageId), keys.receivedMark, "EX", RETENTION_DAYS * 86_400);
    const markers = keys.markers(keys.derivedHubId(message.endpoint, message.messageId));
    await redis.hset(markers, keys.routedField, JSON.stringify([receiver]));
    await redis.expire(markers, RETENTION_DAYS * 86_400);
    await redis.hset(
      markers,
      keys.deliveredField(receiver),
      `1,${10 + (i % 300)},${1_796_634_622_688 + i},${1_000 + i}`,
    );
    await redis.expire(markers, RETENTION_DAYS * 86_400);
  }
  const cpu = (await redisCpuMicros(redis)) - cpuBefore;
  const classes = new Map<string, { bytes: number; keys: number }>();
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of found) {
      const name = key.slice(namespace.length + 1).split(":")[0] as string;
      const figures = classes.get(name) ?? { bytes: 0, keys: 0 };
      figures.bytes += Number(await redis.memory("USAGE", key, "SAMPLES", 0));
      figures.keys += 1;
      classes.set(name, figures);
    }
  } while (cursor !== "0");
  return [...classes]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, f]) => `${name} ${(f.bytes / MESSAGES).toFixed(1)} B per message (${f.keys} keys)`)
    .join(", ")
    .concat(`; redis-server CPU ${(cpu / MESSAGES).toFixed(1)} µs per message`);
}

const server = await startRedisServer();
const redis = new Redis(server.url);
try {
  const sides: [string, LedgerModule][] = [
    ["A (against)", await load(resolve(against, "packages/ledger/src/index.ts"))],
    ["B (this)", await load(resolve(import.meta.dirname, "../src/index.ts"))],
  ];
  // Namespaces of one length (`carehub` + 2), so the sides differ in their keys' spelling alone; alternated.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [name, module]] of (round % 2 === 0 ? sides : sides.toReversed()).entries()) {
      const namespace = `carehub${round % 10}${i}`;
      console.log(`${name}: ${await measure(redis, module, namespace)}`);
      await redis.eval(
        "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
        0,
        `${namespace}:*`,
      );
    }
  }
} finally {
  redis.disconnect();
  await server.stop();
}
