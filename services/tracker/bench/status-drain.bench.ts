/**
 * The tracker's status consumer draining a PIPELINE backlog, this checkout against another, in one process
 * (decision 0113, et17 round): per round and arm, a fresh namespace on a private nats-server and redis-server,
 * N lab-result envelopes (record-only: no referral, task or appointment) and, every 20th (`--business-every`), a referral with its
 * `booked` (business facts, folded in order) published to PIPELINE before the arm's `startTracker` starts; timed
 * until `tracker-status` has nothing pending or unacked. Printed per arm: envelopes a second, this process's CPU
 * (user + system) per envelope, and the script calls (EVALSHA + EVAL, redis-server's commandstats) per envelope.
 * The arms alternate, the order swapped every round. The publishes are not measured.
 * Usage: node services/tracker/bench/status-drain.bench.ts --base=<another checkout> [--envelopes=3000] [--rounds=4] [--business-every=20]
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Bus, connectBus } from "@carehub/bus";
import type { Envelope } from "@carehub/schemas";
import { startNatsServer, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  referral,
  statusUpdate,
  trackerRegistry,
} from "../src/tracker-fixtures.test-support.ts";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const other = value("base");
if (other === undefined) throw new Error("usage: status-drain.bench.ts --base=<another checkout>");
const ENVELOPES = Number(value("envelopes") ?? 3_000);
const ROUNDS = Number(value("rounds") ?? 4);
/** Every how many a referral with its `booked` (0: lab results only). */
const BUSINESS_EVERY = Number(value("business-every") ?? 20);
const T0 = Date.now() - 3_600_000;
const lab = { kind: "lab-result" as const, letterType: "XRPT01", consentGiven: null, corrected: false, results: [] };

interface RunningTracker {
  stop(): Promise<void>;
}
type StartTracker = (deps: Record<string, unknown>) => Promise<RunningTracker>;
interface Arm {
  name: string;
  startTracker: StartTracker;
  durable: string;
}

async function armOf(name: string, root: URL): Promise<Arm> {
  const tracker = await import(new URL("services/tracker/src/start-tracker.ts", root).href);
  return { name, startTracker: tracker.startTracker, durable: tracker.TRACKER_CONSUMERS.pipeline };
}

function backlog(run: string): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; out.length < ENVELOPES; i++) {
    const at = T0 + i * 10;
    if (BUSINESS_EVERY > 0 && i % BUSINESS_EVERY === 0) {
      const id = `REF-${run}-${i}`;
      out.push(referral(`${run}-ref-${i}`, id, at));
      out.push(statusUpdate(`${run}-booked-${i}`, HOSPITAL, GP, { type: "referral", id }, "booked", at + 5));
    } else {
      out.push(envelopeOf(`${run}-lab-${i}`, HOSPITAL, GP, lab, at));
    }
  }
  return out;
}

async function scriptCalls(redis: Redis): Promise<number> {
  const stats = await redis.info("commandstats");
  let calls = 0;
  for (const match of stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(match[2]);
  return calls;
}

async function drained(bus: Bus, durable: string): Promise<void> {
  for (;;) {
    const info = await bus.jsm.consumers.info(bus.topology.streams.pipeline, durable);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const here = new URL("../../../", import.meta.url);
const arms = [await armOf("this", here), await armOf("base", pathToFileURL(`${resolve(other)}/`))];
const nats = await startNatsServer();
const redisServer = await startRedisServer();
const redis = new Redis(redisServer.url);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? arms : [...arms].reverse();
    for (const arm of order) {
      const run = `r${round}${arm.name}`;
      const namespace = `bench-drain-${run}`;
      const bus = await connectBus({ servers: nats.url, name: `status-drain-${run}`, namespace });
      await bus.provision();
      for (const envelope of backlog(run)) {
        await bus.publishJson(bus.topology.subjects.pipeline(envelope.kind), envelope, { msgId: envelope.hubId });
      }
      const config = { namespace, retentionDays: 30, patientHashKey: "bench-key-0123456789abcdef" };
      const callsBefore = await scriptCalls(redis);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const tracker = await arm.startTracker({ bus, redis, registry: trackerRegistry(), config });
      await drained(bus, arm.durable);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const calls = (await scriptCalls(redis)) - callsBefore;
      await tracker.stop();
      await bus.drain();
      console.log(
        `round ${round} ${arm.name}: ${(ENVELOPES / seconds).toFixed(0)} envelopes/s, CPU ${((cpu.user + cpu.system) / ENVELOPES).toFixed(1)} µs/envelope, script calls ${(calls / ENVELOPES).toFixed(3)}/envelope`,
      );
    }
  }
} finally {
  await redis.quit();
  await redisServer.stop();
  await nats.stop();
}
