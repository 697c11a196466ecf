import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Bus, connectBus } from "@carehub/bus";
import type { Envelope, LifecycleEvent } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import {
  cleanupNamespace,
  type RedisServerHandle,
  sharedNatsUrl,
  startRedisServer,
  testNamespace,
} from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildReadModel } from "./rebuild.ts";
import { TRACKER_CONSUMERS } from "./start-tracker.ts";
import {
  GP,
  HOSPITAL,
  HUB,
  MUNICIPALITY,
  referral,
  statusUpdate,
  trackerRegistry,
} from "./tracker-fixtures.test-support.ts";

/*
 * Crash safety: a tracker child process is killed with SIGKILL mid-run and replaced, and the private Redis
 * (append-only file on) is restarted mid-run, while messages keep coming. Afterwards the read model must be
 * exactly what a rebuild from the streams gives (nothing lost, nothing doubled), every message acknowledged,
 * every referral completed, every status return sent once.
 */

const ns = testNamespace("crash");
const MESSAGES = 150;
const REFERRALS = 30;
const child = fileURLToPath(new URL("./tracker-child.test-support.ts", import.meta.url));
let redisServer: RedisServerHandle;
let redis: Redis;
let bus: Bus;
const children: ChildProcess[] = [];

function startChild(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", child], {
    env: { ...process.env, NATS_URL: sharedNatsUrl(), REDIS_URL: redisServer.url, CAREHUB_NAMESPACE: ns },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`tracker child exited early (${code})`)));
    proc.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(proc);
    });
  });
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGKILL");
  await exited;
}

function messageEvents(i: number, t: number): LifecycleEvent[] {
  const hubId = `crash-${i}`;
  const base = { schemaVersion: 1 as const, hubId, sourceEndpoint: GP.id, kind: "care-communication" as const };
  const at = (ms: number) => new Date(t + ms).toISOString();
  return [
    {
      ...base,
      type: "received",
      eventId: `${hubId}:received`,
      at: at(0),
      contentType: "application/fhir+json",
      size: 9,
    },
    { ...base, type: "routed", eventId: `${hubId}:routed`, at: at(5), receivers: [HOSPITAL.id], ruleCopies: [] },
    {
      ...base,
      type: "delivered",
      eventId: `${hubId}:delivered:${HOSPITAL.id}:1`,
      at: at(9),
      endpoint: HOSPITAL.id,
      attempt: 1,
      durationMs: 2,
    },
    {
      ...base,
      type: "acknowledged",
      eventId: `${hubId}:acknowledged:${HOSPITAL.id}`,
      at: at(50),
      endpoint: HOSPITAL.id,
      code: "ok",
    },
  ];
}

function referralEnvelopes(i: number, t: number): Envelope[] {
  const id = `REF-${i}`;
  // Every third referral is completed without the practice being told: the hub must return that status once.
  const completedTo = i % 3 === 0 ? MUNICIPALITY : GP;
  return [
    referral(`cr-${i}-0`, id, t),
    statusUpdate(`cr-${i}-1`, HOSPITAL, GP, { type: "referral", id }, "booked", t + 60_000),
    statusUpdate(`cr-${i}-2`, HOSPITAL, completedTo, { type: "referral", id }, "completed", t + 120_000),
  ];
}

/** Messages delivered to a tracker and not yet acknowledged, per tracker consumer. */
async function ackPending(): Promise<{ events: number; pipeline: number }> {
  const events = await bus.jsm.consumers.info(bus.topology.streams.events, TRACKER_CONSUMERS.events);
  const pipeline = await bus.jsm.consumers.info(bus.topology.streams.pipeline, TRACKER_CONSUMERS.pipeline);
  return { events: events.num_ack_pending, pipeline: pipeline.num_ack_pending };
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function settled(): Promise<void> {
  const deadline = Date.now() + 60_000;
  let quietRounds = 0;
  while (quietRounds < 3) {
    if (Date.now() > deadline) throw new Error("the tracker did not catch up within 60 s");
    let busy = false;
    for (const [stream, durable] of [
      [bus.topology.streams.events, TRACKER_CONSUMERS.events],
      [bus.topology.streams.pipeline, TRACKER_CONSUMERS.pipeline],
    ] as const) {
      const info = await bus.jsm.consumers.info(stream, durable);
      if (info.num_pending > 0 || info.num_ack_pending > 0) busy = true;
    }
    quietRounds = busy ? 0 : quietRounds + 1;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  redisServer = await startRedisServer({ appendonly: true });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  redis.on("error", () => {
    // Expected while the server restarts; commands are retried by ioredis.
  });
  bus = await connectBus({ servers: sharedNatsUrl(), name: "tracker-crash-test", namespace: ns });
  await bus.provision();
});

afterAll(async () => {
  for (const proc of children) await kill(proc);
  await cleanupNamespace({ namespace: ns, bus });
  await bus?.drain();
  await redis?.quit();
  await redisServer?.stop();
});

describe("tracker crash safety", () => {
  it("loses no status when the tracker is killed and Redis restarts mid-run", async () => {
    const first = await startChild();
    const t0 = Date.now() - 30 * 60_000;
    const publishes: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < MESSAGES; i++) {
      for (const e of messageEvents(i, t0 + i * 1_000)) {
        publishes.push(() => bus.publishJson(bus.topology.subjects.events(e.type), e, { msgId: e.eventId }));
      }
      if (i < REFERRALS) {
        for (const e of referralEnvelopes(i, t0 + i * 1_000)) {
          publishes.push(() => bus.publishJson(bus.topology.subjects.pipeline(e.kind), e, { msgId: e.hubId }));
        }
      }
    }
    const live = createStore({ redis, namespace: ns, retentionDays: 30, patientHashKey: "crash-test-key-0123456789" });
    const third = Math.floor(publishes.length / 3);
    // The tracker gets going on a first part of the burst...
    const warmUp = Math.floor(third / 4);
    for (const publish of publishes.slice(0, warmUp)) await publish();
    await until("the tracker writes the read model", async () => (await live.readModelKeys()).length >= 10);
    // ...then Redis holds every write while the rest arrives, so the tracker takes messages it cannot finish, and
    // SIGKILL finds it holding them: delivered to it, not acknowledged. Unpaused, the second tracker gets them.
    await redis.call("CLIENT", "PAUSE", "30000", "WRITE");
    for (const publish of publishes.slice(warmUp, third)) await publish();
    await until("the tracker holds unacknowledged events", async () => (await ackPending()).events > 0);
    await kill(first);
    const atKill = await ackPending();
    await redis.call("CLIENT", "UNPAUSE");
    const second = await startChild();
    for (const publish of publishes.slice(third, 2 * third)) await publish();
    await redisServer.restart();
    for (const publish of publishes.slice(2 * third)) await publish();
    await settled();

    // The kill interrupted work in flight: delivered to the first tracker and not acknowledged by it (not merely
    // waiting in the stream, which a tracker that never started would also leave); the checks below show the
    // second tracker finished that work exactly once.
    expect(atKill.events).toBeGreaterThan(0);
    expect(second.exitCode).toBeNull();
    for (let i = 0; i < MESSAGES; i++) {
      expect((await live.getMessage(`crash-${i}`))?.status, `crash-${i}`).toBe("acknowledged");
    }
    for (let i = 0; i < REFERRALS; i++) expect((await live.getReferral(GP.id, `REF-${i}`))?.status).toBe("completed");
    const returns = await bus.jsm.streams.info(bus.topology.streams.ingress, { subjects_filter: ">" });
    expect(returns.state.subjects?.[bus.topology.subjects.ingress(HUB.id)]).toBe(REFERRALS / 3);
    const dlq = await bus.jsm.streams.info(bus.topology.streams.dlq);
    expect(dlq.state.messages).toBe(0);

    // What the streams say the read model must be: rebuilt into a second key prefix of the same Redis.
    const reference = createStore({
      redis,
      namespace: `${ns}-ref`,
      retentionDays: 30,
      patientHashKey: "crash-test-key-0123456789",
    });
    await rebuildReadModel({ bus, store: reference, registry: trackerRegistry() });
    const strip = (dump: Record<string, unknown>, prefix: string) =>
      Object.fromEntries(Object.entries(dump).map(([k, v]) => [k.slice(prefix.length), v]));
    const liveDump = strip(await live.dumpReadModel(), ns);
    expect(Object.keys(liveDump).length).toBeGreaterThan(MESSAGES + REFERRALS);
    expect(liveDump).toEqual(strip(await reference.dumpReadModel(), `${ns}-ref`));
  }, 120_000);
});
