/**
 * One hub scenario: a private hub process (all services) with receivers in the driver, fed over HTTP or over
 * NATS ingress, a bounded number of messages sent as fast as the window allows or at a fixed offered rate,
 * every delivery counted by message id (and every acknowledgement, when the receivers acknowledge).
 */
import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname } from "node:path";
import { type CarehubClient, createClient, HubResponseError, HubUnreachableError } from "@carehub/client";
import { HUB_NODE_FLAGS } from "@carehub/hub";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Child, childPids, startChild } from "./children.ts";
import { type Feed, natsIngressFeed } from "./feed.ts";
import {
  benchRegistry,
  type DeliveryMode,
  RECEIVERS,
  readsInbox,
  SENDERS,
  signingSecret,
  token,
} from "./hub-registry.ts";
import { type Infra, redisFootprint, redisKeyClasses, streamFootprint } from "./infra.ts";
import { type LoopFigures, monitorLoop } from "./loop.ts";
import { CpuMeter, type Percentiles, type ProcessFigures, percentiles } from "./measure.ts";
import { type BenchMessage, type MixName, messageAt } from "./messages.ts";
import { startProfile } from "./profile.ts";
import {
  DeliveryCounter,
  type InboxReader,
  listen,
  plainInbox,
  plainWebhook,
  sdkInbox,
  sdkWebhook,
  type WebhookServer,
} from "./receivers.ts";
import { countRedisRequests, type RedisRequests } from "./redis-requests.ts";
import { nowMs, Window } from "./window.ts";

const SCRIPT = new URL("./hub-process.ts", import.meta.url);
const WARM_UP = 100;

/** Where a split run writes the profile of one service's process: `x.cpuprofile` → `x.intake.cpuprofile`. */
export const splitProfilePath = (path: string, service: string): string =>
  path.replace(/(\.cpuprofile)?$/, `.${service}$1`);

export interface HubScenario {
  name: string;
  delivery: DeliveryMode;
  /** How the senders hand messages to the hub: POST /v1/messages (default) or their own `ingress.<id>` subject. */
  feed?: Feed;
  messages: number;
  /** Offered msg/s; absent = as fast as the hub takes them (a window of sends in flight). */
  rate?: number;
  mix: MixName;
  /** Write a V8 CPU profile of the hub process (of the measured load) to this file; split, one file per service
   *  process, named by {@link splitProfilePath}. */
  profilePath?: string;
  /** Write a sampling heap profile of the (first) hub process over the measured load to this file, the garbage
   *  included (bench/e2e/heap-profile.ts): where its allocations come from. Not with `split`. */
  heapProfilePath?: string;
  /** One process per service (gateway, intake, router, dispatcher, tracker) instead of all in one. */
  split?: boolean;
  /** Write a V8 CPU profile of the driver itself (senders and receivers, this process) over the measured load. */
  driverProfilePath?: string;
  /** Count the commands clients send to Redis, scripts' own left out (MONITOR: redis-server CPU not comparable). */
  redisRequests?: boolean;
  /** Extra environment of the hub process(es), for experiments (e.g. LOG_LEVEL). */
  hubEnv?: Record<string, string>;
  /**
   * Node flags of the hub process(es); default HUB_NODE_FLAGS, the flags `carehub start` runs every process with
   * (services/hub/src/node-flags.ts), so the bench measures the hub as it runs. `[]` runs it without (experiments).
   */
  hubFlags?: readonly string[];
  /**
   * Catch-up (bench:catchup): the webhook receivers answer 503 while the messages are sent (offline: the hub
   * retries, their circuits open, the backlog builds), then come back; the drain is timed from their return.
   */
  catchUp?: boolean;
  /** Copies of the all-in-one hub on the same namespace (scale-out); the driver spreads its sends over them. */
  copies?: number;
}

/** A catch-up run's phases (`catchUp`). */
export interface CatchUpFigures {
  /** First send to the gateway's last 202, receivers offline. */
  acceptSeconds: number;
  /** Delivered before the receivers came back (none: they answered 503). */
  deliveredBeforeReturn: number;
  /** Receivers back → first delivery (the circuit's cool-down and the retry delays). */
  firstDeliveryAfterSeconds: number;
  /** Receivers back → last delivery. */
  drainSeconds: number;
  /** Messages per second from the receivers' return to the last delivery. */
  drainPerSec: number;
  /** The same, from the first delivery after the return (the hub's drain rate without the detection delay). */
  drainPerSecAfterFirst: number;
  /** Between the 10th and the 90th percentile of the deliveries after the return: the steady drain rate. */
  drainPerSecSteady: number;
}

export const SERVICES = ["tracker", "dispatcher", "router", "intake", "gateway"] as const;

export interface HubResult {
  scenario: string;
  delivery: DeliveryMode;
  feed: Feed;
  mix: MixName;
  messages: number;
  offeredRate: number | null;
  /** Messages delivered per second, first send to last delivery (and last acknowledgement, with acks). */
  msgsPerSec: number;
  /** How fast the gateway answered 202 (NATS ingress: how fast JetStream acknowledged the publishes). */
  acceptedPerSec: number;
  latencyMs: Percentiles;
  ackLatencyMs: Percentiles | null;
  /** Event-loop delay and garbage collections over the measured load, by process (each hub process and the driver). */
  loops: Record<string, LoopFigures>;
  processes: Record<string, ProcessFigures>;
  redisBytesPerMsg: number;
  redisKeysPerMsg: number;
  /** Redis commands per message (the bench's own INFO / DBSIZE excluded), and the most frequent ones. */
  redisCommandsPerMsg: number;
  redisCommands: Record<string, number>;
  /** With `redisRequests`: commands per message as clients sent them (inside scripts left out), and by name. */
  redisRequestsPerMsg?: number;
  redisRequests?: Record<string, number>;
  /** With `redisRequests`: the bytes of those commands per message (RESP), and by name (a script's by its SHA-1). */
  redisRequestBytesPerMsg?: number;
  redisRequestBytes?: Record<string, number>;
  /**
   * The run's namespace in Redis right after it, by class of key (MEMORY USAGE), per message sent (warm-up
   * included): bytes and keys. What the INFO figure above does not tell: which records and indexes cost what.
   */
  redisByKeyClass?: Record<string, { bytes: number; keys: number }>;
  streamBytesPerMsg: number;
  streamBytes: Record<string, number>;
  /** Stored messages per message sent, by stream (EVENTS: lifecycle events per message). */
  streamMessages: Record<string, number>;
  lost: number;
  duplicates: number;
  catchUp?: CatchUpFigures;
}

const SEND_WINDOW = 64;
/** At a fixed rate, requests in flight beyond this wait: the offered rate is then what the gateway takes. */
const MAX_OUTSTANDING = 256;
const SEND_ATTEMPTS = 3;
/** A refusal for load (503/429 with Retry-After) is sent again up to this many times. */
const REFUSED_ATTEMPTS = 20;

/** One SDK client per gateway URL and sender (its token), made once; they share the SDK's keep-alive connections. */
const senderClients = new Map<string, CarehubClient>();

function senderClient(url: string, from: string): CarehubClient {
  const key = `${url} ${from}`;
  let client = senderClients.get(key);
  if (client === undefined) {
    // Refused for load (503/429 with Retry-After): the SDK waits as told and sends again; a bench sender must not
    // count a refusal as lost.
    client = createClient({ baseUrl: url, token: token(from), endpointId: from, busyRetries: REFUSED_ATTEMPTS });
    senderClients.set(key, client);
  }
  return client;
}

/**
 * Sends one message as its sender through the SDK (`@carehub/client`, what an integrator sends with: node:http
 * keep-alive since decision 0126); a connection the gateway cut is tried again (as a real sender would). A 200 (the
 * gateway recognised a repeat) counts as accepted, on the first call too: the SDK itself sends again after a busy
 * answer or a kept-alive connection closed under the request, and cannot say whether it did, so the gateway may
 * have stored an earlier attempt of this very call. A message wrongly taken for a repeat is still caught: it is
 * never delivered, and the run reports it lost.
 */
export async function post(url: string, message: BenchMessage): Promise<void> {
  const client = senderClient(url, message.from);
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(message.body, { contentType: message.contentType });
      return;
    } catch (error) {
      const cut = error instanceof HubUnreachableError || error instanceof HubResponseError;
      if (!cut || attempt >= SEND_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Sends the messages (made one at a time: a catch-up backlog need not be held) and waits for every answer. */
export async function sendAll(
  send: (message: BenchMessage, index: number) => Promise<void>,
  messages: Iterable<BenchMessage>,
  sentAt: Map<string, number>,
  rate: number | undefined,
): Promise<void> {
  const window = new Window(rate === undefined ? SEND_WINDOW : MAX_OUTSTANDING);
  let failure: unknown;
  const started = nowMs();
  let i = -1;
  for (const message of messages) {
    i++;
    if (failure !== undefined) break;
    if (rate !== undefined) {
      const due = started + (i * 1000) / rate;
      const wait = due - nowMs();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await window.acquire();
    sentAt.set(message.id, nowMs());
    send(message, i).then(
      () => window.release(),
      (error: unknown) => {
        failure ??= error;
        window.release();
      },
    );
  }
  await window.drained();
  if (failure !== undefined) throw failure;
}

interface Receiving {
  messages: DeliveryCounter;
  acks: DeliveryCounter;
}

export async function runHub(infra: Infra, scenario: HubScenario, tag: string): Promise<HubResult> {
  const namespace = `bench${tag.replaceAll(/[^a-z0-9]/g, "").slice(-10)}`;
  const sentAt = new Map<string, number>();
  let receiving: Receiving = { messages: new DeliveryCounter(sentAt), acks: new DeliveryCounter(sentAt) };
  const webhooks = new Map<string, WebhookServer>();
  const readers: InboxReader[] = [];
  const hubs: Child[] = [];
  const feed = scenario.feed ?? "http";
  let closeFeed = async (): Promise<void> => undefined;
  const nc = await connect({ servers: infra.natsUrl, name: "bench-driver" });
  try {
    for (const id of [...SENDERS, ...RECEIVERS])
      if (!readsInbox(scenario.delivery, id)) webhooks.set(id, await listen());
    const registry = benchRegistry(
      scenario.delivery,
      Object.fromEntries([...webhooks].map(([id, server]) => [id, server.url])),
    );
    const urls: string[] = [];
    const copies = Math.max(1, scenario.copies ?? 1);
    const units = scenario.split
      ? SERVICES.map((name) => [name])
      : Array.from({ length: copies }, (): undefined => undefined);
    for (const [copy, services] of units.entries()) {
      const hub = await startChild(services?.[0] ?? (copy === 0 ? "hub" : `hub-${copy + 1}`), SCRIPT, [], {
        env: {
          BENCH_HUB: JSON.stringify({
            natsUrl: infra.natsUrl,
            redisUrl: infra.redisUrl,
            namespace,
            registry,
            services,
          }),
        },
        execArgv: [...(scenario.hubFlags ?? HUB_NODE_FLAGS)],
      });
      hubs.push(hub);
      const started = await hub.next((m): m is { url: string } => typeof (m as { url?: unknown })?.url === "string");
      // Split: only the gateway's process has a URL to send to and acknowledge through.
      if (services === undefined || services.includes("gateway")) urls.push(started.url);
    }
    const url = urls[0] as string;
    let send = (message: BenchMessage, i: number) => post(urls[i % urls.length] as string, message);
    if (feed === "nats") {
      const ingress = await natsIngressFeed(infra.natsUrl, namespace, SENDERS);
      send = async (message) => void (await ingress.send(message));
      closeFeed = ingress.close;
    }
    const acks = scenario.delivery === "acks";
    const messagesOf = () => receiving.messages;
    const acksOf = () => receiving.acks;
    for (const [id, server] of webhooks) {
      const endpoint = { hubUrl: url, endpointId: id, token: token(id), signingSecret: signingSecret(id) };
      server.use(acks ? sdkWebhook(endpoint, messagesOf, acksOf) : plainWebhook(messagesOf));
    }
    for (const id of RECEIVERS) {
      if (!readsInbox(scenario.delivery, id)) continue;
      readers.push(
        acks
          ? await sdkInbox(
              infra.natsUrl,
              namespace,
              { hubUrl: url, endpointId: id, token: token(id) },
              messagesOf,
              acksOf,
            )
          : await plainInbox(infra.natsUrl, namespace, id, messagesOf),
      );
    }
    // Warm-up (JIT, connections, consumers), not measured.
    const warm = Array.from({ length: WARM_UP }, (_, i) => messageAt(scenario.mix, i, `${tag}-warm`));
    await sendAll(send, warm, sentAt, undefined);
    if (!(await receiving.messages.waitFor(WARM_UP, 60_000)))
      throw new Error(`${scenario.name}: warm-up never delivered`);
    if (acks && !(await receiving.acks.waitFor(WARM_UP, 60_000)))
      throw new Error(`${scenario.name}: warm-up never acknowledged`);
    receiving = { messages: new DeliveryCounter(sentAt), acks: new DeliveryCounter(sentAt) };

    const jsm = await jetstreamManager(nc);
    const streamPrefix = namespace.toUpperCase();
    const streamsBefore = await streamFootprint(jsm, streamPrefix);
    const redisBefore = await redisFootprint(infra.redisUrl);
    const ids: string[] = [];
    const messages = function* (): Generator<BenchMessage> {
      for (let i = 0; i < scenario.messages; i++) {
        const message = messageAt(scenario.mix, i, tag);
        ids.push(message.id);
        yield message;
      }
    };
    const online = new Map([...webhooks].map(([id, server]) => [id, server.handler()]));
    if (scenario.catchUp) for (const server of webhooks.values()) server.use(offline);
    const meter = new CpuMeter({
      ...Object.fromEntries(hubs.map((hub) => [hub.name, hub.pid])),
      "driver (sender + receivers)": "self",
      "nats-server": childPids("nats-server")[0] ?? "self",
      "redis-server": childPids("redis-server")[0] ?? "self",
    });
    const profiled = (m: unknown): m is { profiled: string } =>
      typeof (m as { profiled?: unknown })?.profiled === "string";
    const profiledHubs = scenario.split ? hubs : hubs.slice(0, 1);
    if (scenario.profilePath !== undefined)
      for (const profiledHub of profiledHubs) {
        profiledHub.process.send({ profile: "start" });
        await profiledHub.next(profiled);
      }
    const heapProfiled = (m: unknown): m is { heapProfiled: string } =>
      typeof (m as { heapProfiled?: unknown })?.heapProfiled === "string";
    const heapProfiledHub = scenario.heapProfilePath === undefined ? undefined : hubs[0];
    if (heapProfiledHub !== undefined) {
      heapProfiledHub.process.send({ heapProfile: "start" });
      await heapProfiledHub.next(heapProfiled);
    }
    const requestCount = scenario.redisRequests ? await countRedisRequests(infra.redisUrl) : undefined;
    const driverProfile = scenario.driverProfilePath === undefined ? undefined : await startProfile();
    for (const hub of hubs) hub.process.send({ loop: "start" });
    const driverLoop = monitorLoop();
    meter.start();
    const started = performance.now();
    await sendAll(send, messages(), sentAt, scenario.rate);
    const acceptedSeconds = (performance.now() - started) / 1000;
    let back = 0;
    let deliveredBeforeReturn = 0;
    if (scenario.catchUp) {
      deliveredBeforeReturn = receiving.messages.distinct;
      back = performance.now();
      for (const [id, server] of webhooks) server.use(online.get(id) ?? offline);
    }
    // A catch-up drain waits out the circuits' cool-down and then the whole backlog at the slowest rate seen.
    const drainMs = 60_000 + (scenario.messages / (scenario.catchUp ? 20 : 100)) * 1000;
    const delivered = await receiving.messages.waitFor(scenario.messages, drainMs);
    const drained = performance.now();
    const acknowledged = !acks || (await receiving.acks.waitFor(scenario.messages, drainMs));
    const seconds = (performance.now() - started) / 1000;
    const processes = meter.stop(scenario.messages);
    const loops: Record<string, LoopFigures> = { driver: driverLoop.stop() };
    const looped = (m: unknown): m is { loop: LoopFigures | null } => (m as { loop?: unknown })?.loop !== undefined;
    for (const hub of hubs) {
      hub.process.send({ loop: "stop" });
      const figures = (await hub.next(looped)).loop;
      if (figures !== null) loops[hub.name] = figures;
    }
    if (driverProfile !== undefined && scenario.driverProfilePath !== undefined)
      await driverProfile.stop(scenario.driverProfilePath);
    if (scenario.profilePath !== undefined) {
      mkdirSync(dirname(scenario.profilePath), { recursive: true });
      for (const profiledHub of profiledHubs) {
        const path = scenario.split ? splitProfilePath(scenario.profilePath, profiledHub.name) : scenario.profilePath;
        profiledHub.process.send({ profile: path });
        await profiledHub.next(profiled);
      }
    }
    if (heapProfiledHub !== undefined && scenario.heapProfilePath !== undefined) {
      heapProfiledHub.process.send({ heapProfile: scenario.heapProfilePath });
      await heapProfiledHub.next(heapProfiled);
    }
    const requests = await requestCount?.stop();
    const redisAfter = await redisFootprint(infra.redisUrl);
    const keyClasses = await redisKeyClasses(infra.redisUrl, namespace);
    const streamsAfter = await streamFootprint(jsm, streamPrefix);

    const check = receiving.messages.check(ids);
    const ackCheck = acks ? receiving.acks.check(ids) : { missing: [], unexpected: [] };
    const duplicates = receiving.messages.duplicates + receiving.acks.duplicates;
    const lost = check.missing.length + ackCheck.missing.length;
    if (
      !delivered ||
      !acknowledged ||
      lost > 0 ||
      duplicates > 0 ||
      check.unexpected.length + ackCheck.unexpected.length > 0
    )
      throw new Error(
        `${scenario.name}: lost ${check.missing.length} deliveries and ${ackCheck.missing.length} acknowledgements, ` +
          `${duplicates} duplicates, ${check.unexpected.length + ackCheck.unexpected.length} unexpected ids`,
      );
    const perMessage = (n: number) => Number((n / scenario.messages).toFixed(2));
    const commands = Object.entries(redisAfter.calls)
      .filter(([name]) => !["info", "dbsize"].includes(name))
      .map(([name, calls]) => [name, perMessage(calls - (redisBefore.calls[name] ?? 0))] as const)
      .filter(([, calls]) => calls > 0)
      .sort((a, b) => b[1] - a[1]);
    const byStream: Record<string, number> = {};
    for (const [name, bytes] of Object.entries(streamsAfter.byStream))
      byStream[name] = Math.round((bytes - (streamsBefore.byStream[name] ?? 0)) / scenario.messages);
    const stored: Record<string, number> = {};
    for (const [name, count] of Object.entries(streamsAfter.messagesByStream))
      stored[name] = perMessage(count - (streamsBefore.messagesByStream[name] ?? 0));
    return {
      scenario: scenario.name,
      delivery: scenario.delivery,
      feed,
      mix: scenario.mix,
      messages: scenario.messages,
      offeredRate: scenario.rate ?? null,
      msgsPerSec: Math.round(scenario.messages / seconds),
      acceptedPerSec: Math.round(scenario.messages / acceptedSeconds),
      latencyMs: percentiles(receiving.messages.latenciesMs),
      ackLatencyMs: acks ? percentiles(receiving.acks.latenciesMs) : null,
      loops,
      processes,
      redisBytesPerMsg: Math.round((redisAfter.usedMemoryBytes - redisBefore.usedMemoryBytes) / scenario.messages),
      redisKeysPerMsg: perMessage(redisAfter.keys - redisBefore.keys),
      redisCommandsPerMsg: Number(commands.reduce((sum, [, calls]) => sum + calls, 0).toFixed(1)),
      redisCommands: Object.fromEntries(commands),
      redisByKeyClass: Object.fromEntries(
        Object.entries(keyClasses)
          .sort((a, b) => b[1].bytes - a[1].bytes)
          .map(([name, { keys, bytes }]) => [
            name,
            {
              bytes: Math.round(bytes / (scenario.messages + WARM_UP)),
              keys: Number((keys / (scenario.messages + WARM_UP)).toFixed(2)),
            },
          ]),
      ),
      ...(requests === undefined ? {} : requestFigures(requests, perMessage)),
      streamBytesPerMsg: Math.round((streamsAfter.bytes - streamsBefore.bytes) / scenario.messages),
      streamBytes: byStream,
      streamMessages: stored,
      lost,
      duplicates,
      ...(scenario.catchUp
        ? {
            catchUp: catchUpFigures(
              receiving.messages,
              scenario.messages,
              acceptedSeconds,
              back,
              drained,
              deliveredBeforeReturn,
            ),
          }
        : {}),
    };
  } finally {
    await closeFeed().catch(() => undefined);
    for (const reader of readers) await reader.stop().catch(() => undefined);
    for (const hub of hubs.reverse()) await hub.stop();
    for (const server of webhooks.values()) await server.close();
    await nc.close();
  }
}

/** An offline receiver: 503 to every delivery (the hub retries; the endpoint's circuit opens). */
const offline = (_request: IncomingMessage, response: ServerResponse): void => {
  _request.resume();
  response.writeHead(503).end();
};

function catchUpFigures(
  counter: DeliveryCounter,
  messages: number,
  acceptSeconds: number,
  backAt: number,
  drainedAt: number,
  deliveredBeforeReturn: number,
): CatchUpFigures {
  const arrivals = counter.arrivalsAfter(backAt);
  const first = arrivals[0] ?? drainedAt;
  const at = (q: number) => arrivals[Math.floor(q * (arrivals.length - 1))] ?? drainedAt;
  const steadySeconds = Math.max((at(0.9) - at(0.1)) / 1000, 0.001);
  const drainSeconds = (drainedAt - backAt) / 1000;
  const afterFirst = Math.max((drainedAt - first) / 1000, 0.001);
  return {
    acceptSeconds: round(acceptSeconds),
    deliveredBeforeReturn,
    firstDeliveryAfterSeconds: round((first - backAt) / 1000),
    drainSeconds: round(drainSeconds),
    drainPerSec: Math.round(messages / drainSeconds),
    drainPerSecAfterFirst: Math.round(messages / afterFirst),
    drainPerSecSteady: Math.round((0.8 * arrivals.length) / steadySeconds),
  };
}

const round = (n: number): number => Number(n.toFixed(1));

function requestFigures(
  requests: RedisRequests,
  perMessage: (n: number) => number,
): {
  redisRequestsPerMsg: number;
  redisRequests: Record<string, number>;
  redisRequestBytesPerMsg: number;
  redisRequestBytes: Record<string, number>;
} {
  const perName = (counts: Record<string, number>) => {
    const byName = Object.entries(counts)
      .map(([name, n]) => [name, perMessage(n)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    return { total: byName.reduce((sum, [, n]) => sum + n, 0), byName: Object.fromEntries(byName) };
  };
  const calls = perName(requests.counts);
  const bytes = perName(requests.bytes);
  return {
    redisRequestsPerMsg: Number(calls.total.toFixed(1)),
    redisRequests: calls.byName,
    redisRequestBytesPerMsg: Math.round(bytes.total),
    redisRequestBytes: Object.fromEntries(Object.entries(bytes.byName).map(([name, n]) => [name, Math.round(n)])),
  };
}
