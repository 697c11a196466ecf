/**
 * The router alone, working through a PIPELINE backlog (the catch-up case, issue 15 item 4): N envelopes of lab
 * results from two senders (every tenth a corrected result of its sender's sample before it, which waits for its
 * original: SenderOrder and the facts script) are put on PIPELINE with their payloads on INGRESS, then a router is
 * started and runs until its consumer's ack floor reaches the last envelope. Measured per envelope as the backlog
 * benches share it (bench/e2e/backlog.ts): this process's CPU (the router with its NATS and Redis clients; the
 * backlog was published before the clock started), nats-server's and redis-server's CPU (/proc; private servers),
 * the wall time, redis-server's commands and client-socket reads and writes per envelope (its round trips, when
 * one envelope is in hand at a time), and this process's system calls. Each
 * `--concurrency` value gets a backlog of its own in a namespace of its own; `--rounds` repeats the list, so the
 * values alternate on the same servers. `--root=<checkout>` loads the router and the bus from another checkout (for
 * before/after pairs: run both alternately). Not a test: it checks only that every envelope got its one copy on
 * OUTBOX and that every correction's copy is behind its original's.
 * Usage: node services/router/bench/backlog.bench.ts [--envelopes=3000] [--concurrency=4,32] [--rounds=2] [--root=…]
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as BusModule from "@carehub/bus";
import { EndpointRegistry } from "@carehub/registry";
import type { Envelope } from "@carehub/schemas";
import { startNatsServer, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { alternateRounds, measureStage, benchOption as option } from "../../../bench/e2e/backlog.ts";
import type * as RouterModule from "../src/index.ts";
import { ENDPOINTS, envelope, HUB, partyOf, sampleResult } from "../test/fixtures.ts";

const ENVELOPES = Number(option("envelopes") ?? 3_000);
const CONCURRENCIES = (option("concurrency") ?? "4,32").split(",").map(Number);
const ROUNDS = Number(option("rounds") ?? 2);
const root = option("root") ?? fileURLToPath(new URL("../../../", import.meta.url));
const BODY = "<letter>".padEnd(2_700, "x");
/** Senders and their receivers: the lab's results go to practice A, practice A's to practice B. */
const FLOWS = [
  { from: ENDPOINTS.lab, to: ENDPOINTS.practiceA },
  { from: ENDPOINTS.practiceA, to: ENDPOINTS.practiceB },
] as const;

const bus: typeof BusModule = await import(join(root, "packages/bus/src/index.ts"));
const router: typeof RouterModule = await import(join(root, "services/router/src/index.ts"));
const nats = await startNatsServer();
const redisServer = await startRedisServer();
const registry = EndpointRegistry.from({
  hub: HUB,
  endpoints: Object.values(ENDPOINTS).map((e, i) => ({
    ...e,
    auth: { tokenSha256: [String(i + 1).padStart(64, "0")] },
  })),
  rules: [],
});
// As the hub's client (services/hub/src/redis-connection.ts): an event-loop turn's commands leave in one write.
const redis = bus.coalesceRedisWrites(new Redis(redisServer.url));

/** Puts the backlog on INGRESS and PIPELINE; returns which envelope each correction follows (by hub id). */
async function fillBacklog(hub: BusModule.Bus, tag: string): Promise<Map<string, string>> {
  const follows = new Map<string, string>();
  const latest = new Map<string, string>();
  for (let i = 0; i < ENVELOPES; i++) {
    const flow = FLOWS[i % FLOWS.length] as (typeof FLOWS)[number];
    const hubId = `${tag}-h${i}`;
    // Every tenth message of a sender corrects its sender's previous sample.
    const corrected = Math.floor(i / FLOWS.length) % 10 === 9;
    const sample = corrected ? `${flow.from.id}-s${i - FLOWS.length}` : `${flow.from.id}-s${i}`;
    const stored = await hub.publish(hub.topology.subjects.ingress(flow.from.id), BODY, {
      msgId: hubId,
      contentType: "application/xml",
    });
    const draft: Envelope = envelope({
      hubId,
      messageId: `${tag}-m${i}`,
      sourceEndpoint: flow.from.id,
      sender: partyOf(flow.from, "gln"),
      receivers: [partyOf(flow.to, "gln")],
      content: sampleResult(sample, corrected),
      payload: {
        stream: stored.stream,
        seq: stored.seq,
        contentType: "application/xml",
        sha256: "a".repeat(64),
        size: BODY.length,
      },
    });
    if (corrected) follows.set(hubId, latest.get(sample) as string);
    latest.set(sample, hubId);
    await hub.publish(hub.topology.subjects.pipeline(draft.kind), JSON.stringify(draft), {
      msgId: hubId,
      contentType: "application/json",
      headers: { "Carehub-Hub-Id": hubId, "Carehub-Kind": draft.kind, "Carehub-Source-Endpoint": draft.sourceEndpoint },
    });
  }
  return follows;
}

/** Every envelope's one OUTBOX copy, in OUTBOX order: hub id → position. */
async function outboxOrder(hub: BusModule.Bus): Promise<Map<string, number>> {
  const jsm = hub.jsm;
  const info = await jsm.streams.info(hub.topology.streams.outbox);
  const positions = new Map<string, number>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(hub.topology.streams.outbox, { seq });
    const hubId = stored?.header?.get("Carehub-Hub-Id") ?? "";
    if (positions.has(hubId)) throw new Error(`${hubId} copied twice`);
    positions.set(hubId, seq);
  }
  return positions;
}

async function runOnce(concurrency: number, run: number): Promise<string> {
  const namespace = `backlog${run}`;
  const hub = await bus.connectBus({ servers: nats.url, name: `bench-router-${run}`, namespace });
  await hub.provision();
  const follows = await fillBacklog(hub, `r${run}`);
  const pipeline = hub.topology.streams.pipeline;
  const last = (await hub.jsm.streams.info(pipeline)).state.last_seq;
  const figures = await measureStage({
    stage: "router",
    unit: "envelope",
    count: ENVELOPES,
    redis,
    jsm: hub.jsm,
    stream: pipeline,
    durable: "router",
    lastSeq: last,
    start: () =>
      router.startRouter({ bus: hub, redis, registry: { current: () => registry }, retentionDays: 1, concurrency }),
  });
  const positions = await outboxOrder(hub);
  if (positions.size !== ENVELOPES) throw new Error(`${positions.size} copies on OUTBOX for ${ENVELOPES} envelopes`);
  for (const [correction, original] of follows) {
    if ((positions.get(correction) ?? 0) < (positions.get(original) ?? Infinity)) {
      throw new Error(`the correction ${correction} was copied before its original ${original}`);
    }
  }
  await hub.drain();
  return (
    `concurrency ${String(concurrency).padStart(2)}: ${figures}; ` +
    `${follows.size} corrections after their originals; root ${root}`
  );
}

await alternateRounds(CONCURRENCIES, ROUNDS, runOnce, async () => {
  redis.disconnect();
  await nats.stop();
  await redisServer.stop();
});
