/**
 * Intake alone, working through an INGRESS backlog (the catch-up case, issue 15 item 4): N messages of the e2e
 * bench's mix (bench/e2e/messages.ts: FHIR from the acute team, lab letters from the lab, attachments; the
 * mix's two senders) are put on INGRESS, then intake is started and runs until its consumer's ack floor reaches
 * the last message. Measured per message as the router's backlog bench (bench/e2e/backlog.ts). Each
 * `--concurrency` value gets a backlog of its own in a namespace of its own; `--rounds` repeats the list, so the
 * values alternate on the same servers. `--root=<checkout>` loads intake and the bus from another checkout (for
 * before/after pairs: run both alternately). Not a test: it checks only that every message got its one envelope
 * on PIPELINE and that each sender's envelopes are on PIPELINE in its INGRESS order.
 * Usage: node services/intake/bench/backlog.bench.ts [--messages=3000] [--concurrency=8,16,32,64] [--rounds=2] [--warmup=500]
 *   [--root=…]
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as BusModule from "@carehub/bus";
import { EndpointRegistry } from "@carehub/registry";
import type { Envelope } from "@carehub/schemas";
import { startNatsServer, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { alternateRounds, measureStage, benchOption as option } from "../../../bench/e2e/backlog.ts";
import { benchRegistry, ENDPOINTS } from "../../../bench/e2e/hub-registry.ts";
import { messageAt } from "../../../bench/e2e/messages.ts";
import type * as IntakeModule from "../src/index.ts";

const MESSAGES = Number(option("messages") ?? 3_000);
/** Messages of an unreported first run, so that the first value measured does not pay for the JIT alone. */
const WARMUP = Number(option("warmup") ?? 500);
const CONCURRENCIES = (option("concurrency") ?? "8,16,32,64").split(",").map(Number);
const ROUNDS = Number(option("rounds") ?? 2);
const root = option("root") ?? fileURLToPath(new URL("../../../", import.meta.url));

const bus: typeof BusModule = await import(join(root, "packages/bus/src/index.ts"));
const intake: typeof IntakeModule = await import(join(root, "services/intake/src/index.ts"));
const nats = await startNatsServer();
const redisServer = await startRedisServer();
const registry = EndpointRegistry.from(
  benchRegistry("webhook", Object.fromEntries(ENDPOINTS.map(({ id }) => [id, "http://127.0.0.1:9/"]))),
);
// As the hub's client (services/hub/src/redis-connection.ts): an event-loop turn's commands leave in one write.
const redis = bus.coalesceRedisWrites(new Redis(redisServer.url));

/** Puts the backlog on INGRESS, as the gateway would (the sender's subject, the message's content type). */
async function fillBacklog(hub: BusModule.Bus, tag: string, messages: number): Promise<void> {
  for (let i = 0; i < messages; i++) {
    const message = messageAt("mixed", i, tag);
    await hub.publish(hub.topology.subjects.ingress(message.from), message.body, {
      msgId: `${tag}-${i}`,
      contentType: message.contentType,
      headers: { "Carehub-Source-Endpoint": message.from, "Carehub-Received-At": new Date().toISOString() },
    });
  }
}

/** Checks PIPELINE: one envelope per INGRESS message, and each sender's envelopes in its INGRESS order. */
async function checkPipeline(hub: BusModule.Bus, first: number, last: number): Promise<string> {
  const stream = hub.topology.streams.pipeline;
  const info = await hub.jsm.streams.info(stream);
  const seen = new Set<number>();
  const latest = new Map<string, number>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await hub.jsm.streams.getMessage(stream, { seq });
    if (stored === null) throw new Error(`PIPELINE ${seq} is missing`);
    const envelope = stored.json<Envelope>();
    const at = envelope.payload.seq;
    if (seen.has(at)) throw new Error(`INGRESS ${at} has two envelopes`);
    seen.add(at);
    if (at <= (latest.get(envelope.sourceEndpoint) ?? 0)) {
      throw new Error(`${envelope.sourceEndpoint}'s INGRESS ${at} is on PIPELINE after a later message of it`);
    }
    latest.set(envelope.sourceEndpoint, at);
  }
  for (let seq = first; seq <= last; seq++) if (!seen.has(seq)) throw new Error(`INGRESS ${seq} has no envelope`);
  return `${seen.size} envelopes, in order for ${[...latest.keys()].join(", ")}`;
}

async function runOnce(concurrency: number, run: number, messages = MESSAGES): Promise<string> {
  const namespace = `backlog${run}`;
  const hub = await bus.connectBus({ servers: nats.url, name: `bench-intake-${run}`, namespace });
  await hub.provision();
  await fillBacklog(hub, `i${run}`, messages);
  const ingress = hub.topology.streams.ingress;
  const { first_seq: first, last_seq: last } = (await hub.jsm.streams.info(ingress)).state;
  const figures = await measureStage({
    stage: "intake",
    unit: "message",
    count: messages,
    redis,
    jsm: hub.jsm,
    stream: ingress,
    durable: bus.INGRESS_CONSUMER,
    lastSeq: last,
    start: () =>
      intake.startIntake({ bus: hub, redis, registry: { current: () => registry }, retentionDays: 1, concurrency }),
  });
  const checked = await checkPipeline(hub, first, last);
  await hub.drain();
  return `concurrency ${String(concurrency).padStart(2)}: ${figures}; ${checked}; root ${root}`;
}

await alternateRounds(
  CONCURRENCIES,
  ROUNDS,
  runOnce,
  async () => {
    redis.disconnect();
    await nats.stop();
    await redisServer.stop();
  },
  WARMUP > 0 ? (run) => runOnce(CONCURRENCIES[0] ?? 8, run, WARMUP) : undefined,
);
