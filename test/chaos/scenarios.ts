/**
 * The chaos scenarios, in the order they run, each under sustained load through the gateway. A scenario
 * either runs (`run`) or says why it cannot yet (`notYetRun`). Adding one is adding a row: a name, what it does,
 * the infrastructure its hub needs (default one nats-server and one redis-server), and a `run` that starts load,
 * does its harm, stops the load and returns its figures; the runner verifies after it.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { StreamRole } from "@carehub/bus";
import type { Outgoing } from "../src/pipeline-traffic.ts";
import { consumerState, type HubWorker } from "../src/service-process.ts";
import type { ChaosHub, ChaosInfrastructure } from "./chaos-hub.ts";
import { Load, type LoadFigures, type Traffic } from "./load.ts";
import type { SeededRandom } from "./seeded-random.ts";

export interface ScenarioContext {
  hub: ChaosHub;
  traffic: Traffic;
  random: SeededRandom;
  bounded: boolean;
  /** Messages per second the hub delivered end to end in the steady scenario (the overload offers 3×). */
  baselineRate: number;
  /** Every message the gateway stored in the run so far (the verdicts are over all of them). */
  accepted: Outgoing[];
  log(line: string): void;
}

/** A scenario's own check beyond the common verdict (verify.ts): a name, whether it held, the figure. */
export interface ScenarioCheck {
  name: string;
  ok: boolean;
  figure: string;
}

export interface ScenarioOutcome {
  load: LoadFigures;
  /** Figures worth a column of their own in the table (`kills: dispatcher, router`, `healthz max 12 ms`). */
  notes: string[];
  checks: ScenarioCheck[];
}

export interface Scenario {
  name: string;
  what: string;
  /** What its hub runs on (chaos-hub.ts); the runner starts one hub per infrastructure. Default `single`. */
  infrastructure?: ChaosInfrastructure;
  run?: (context: ScenarioContext) => Promise<ScenarioOutcome>;
  /** Why the scenario cannot run yet (no run). */
  notYetRun?: string;
  /** Left out of the bounded form (CI's three minutes). */
  fullRunOnly?: boolean;
}

const WORKERS: readonly HubWorker[] = ["intake", "router", "dispatcher", "tracker"];
/** Closed-loop senders of every scenario but the overload: enough to keep every worker busy on 2 cores. */
const SENDERS = { bounded: 4, full: 8 };
/** The gateway's RSS bound under overload (docs/performance.md: a process well under the hub's 400 MB). */
export const GATEWAY_RSS_BOUND_BYTES = 300 * 1024 * 1024;
/** /healthz must answer within this under any load (issue 16). */
export const HEALTHZ_BOUND_MS = 100;

const seconds = (context: ScenarioContext, bounded: number, full: number) => (context.bounded ? bounded : full) * 1000;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long intake or queries may answer 503 after a node or primary is lost: election plus a loaded machine. */
const RECOVERY_MS = 30_000;
/** Accepted messages after a loss that show intake working again (not requests already past NATS at the kill). */
const ACCEPTED_AFTER_LOSS = 10;

/** How long a scenario's senders may take, once its harm is done, to get the messages they hold stored. */
const DRAIN_MS = 120_000;

/** Runs `harm` while `senders` closed-loop senders keep sending; stops the load once harm is done. */
async function underLoad(context: ScenarioContext, harm: (load: Load) => Promise<void>): Promise<LoadFigures> {
  const load = new Load(context.hub.gatewayUrl, context.traffic);
  load.closedLoop(context.bounded ? SENDERS.bounded : SENDERS.full);
  const harmed = await harm(load).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  // A hub that never recovers must fail its row, not hang the run: its senders retry for ever.
  const drained = await Promise.race([load.stop().then(() => true), pause(DRAIN_MS).then(() => false)]);
  context.accepted.push(...load.accepted);
  if (harmed !== undefined) throw harmed.error;
  if (!drained) throw new Error(`the senders' last messages were not stored within ${DRAIN_MS / 1000} s of the harm`);
  return load.figures;
}

/** SIGKILL a random copy of a random worker while it holds work, and start it again; `times` times. */
async function killRandomWorkers(context: ScenarioContext, times: number): Promise<string[]> {
  const kills: string[] = [];
  for (let i = 0; i < times; i++) {
    await pause(context.random.between(300, 1_500));
    const worker = context.random.pick(WORKERS);
    const copies = context.hub.copies.get(worker) ?? [];
    const copy = context.random.pick(copies);
    const holding = (await consumerState(context.hub.bus, worker)).ackPending;
    await context.hub.killAndRestart(copy);
    kills.push(`${worker}${copies.length > 1 ? `#${copies.indexOf(copy) + 1}` : ""}(${holding})`);
  }
  return kills;
}

export const SCENARIOS: Scenario[] = [
  {
    name: "steady",
    what: "sustained load, no fault: the baseline the overload is measured against",
    run: async (context) => {
      const before = context.accepted.length;
      const started = performance.now();
      const load = await underLoad(context, () => pause(seconds(context, 5, 30)));
      const sent = context.accepted.slice(before);
      // End to end: until the last of them is delivered (the receivers' own records).
      await allDelivered(context, sent, Math.max(0, 120_000 - (performance.now() - started)));
      context.baselineRate = Math.max(1, Math.round(sent.length / ((performance.now() - started) / 1000)));
      return { load, notes: [`${context.baselineRate} msg/s end to end`], checks: [] };
    },
  },
  {
    name: "worker-kills",
    what: "SIGKILL a random worker (seeded) while it holds work, restart it; repeatedly",
    run: async (context) => {
      let kills: string[] = [];
      const load = await underLoad(context, async () => {
        kills = await killRandomWorkers(context, context.bounded ? 3 : 12);
      });
      return { load, notes: [`killed (unacked held): ${kills.join(" ")}`], checks: [] };
    },
  },
  {
    name: "nats-restart",
    what: "SIGKILL nats-server mid-load and start it again on the same store",
    run: async (context) => {
      const load = await underLoad(context, async () => {
        await pause(seconds(context, 2, 5));
        await context.hub.nats.kill();
        await pause(1_000);
        await context.hub.nats.restart();
        await pause(seconds(context, 3, 10));
      });
      return { load, notes: [], checks: [] };
    },
  },
  {
    name: "redis-outage",
    what: "Redis down (SIGKILL) for 30 s (5 s bounded) mid-load, then back on its append-only file",
    run: async (context) => {
      const downMs = seconds(context, 5, 30);
      const load = await underLoad(context, async () => {
        await pause(seconds(context, 2, 5));
        await context.hub.redisServer.kill();
        await pause(downMs);
        await context.hub.redisServer.restart();
        await pause(seconds(context, 3, 10));
      });
      return { load, notes: [`down ${downMs / 1000} s`], checks: [] };
    },
  },
  {
    name: "endpoint-backlog",
    what: "one endpoint (databank) down while the others flow; its backlog drains when it is back",
    run: async (context) => {
      const { hub } = context;
      const others = ["practice", "klamer"];
      let othersDuring = 0;
      let peakBacklog = 0;
      const load = await underLoad(context, async () => {
        hub.receivers.setDown("databank", true);
        const before = others.reduce((sum, e) => sum + hub.receivers.count(e), 0);
        const until = Date.now() + seconds(context, 5, 30);
        while (Date.now() < until) {
          peakBacklog = Math.max(peakBacklog, await databankBacklog(hub));
          await pause(500);
        }
        othersDuring = others.reduce((sum, e) => sum + hub.receivers.count(e), 0) - before;
        hub.receivers.setDown("databank", false);
      });
      return {
        load,
        notes: [`databank backlog peak ${peakBacklog}`, `others delivered meanwhile ${othersDuring}`],
        checks: [
          { name: "a backlog built up", ok: peakBacklog > 0, figure: String(peakBacklog) },
          { name: "the other endpoints kept flowing", ok: othersDuring > 0, figure: String(othersDuring) },
        ],
      };
    },
  },
  {
    name: "overload-3x",
    what: "open-loop load at 3× the steady rate: refusals carry Retry-After, gateway RSS bounded, /healthz fast",
    run: async (context) => {
      const { hub } = context;
      const rate = 3 * context.baselineRate;
      const during = new RssSampler(hub.gateway.pid);
      const until = Date.now() + seconds(context, 6, 60);
      // The liveness probe where orchestrators send it: the gateway process's ops port (CAREHUB_OPS_PORT). It runs
      // through the load and the drain after it ("throughout"), as does the RSS sampling.
      const probe = startHealthzProbe(`${hub.opsUrlOf(hub.gateway)}/healthz`, `${hub.gatewayUrl}/healthz`);
      const senders = startOpenLoopSender(hub.gatewayUrl, rate, context.traffic);
      await pause(Math.max(0, until - Date.now()));
      const duringPeak = during.stop();
      const refusals = await gatewayRefusals(hub);
      // After the load: the senders' last refused messages are sent again and the backlog drains (the 406–553 MB
      // finding of docs/reliability.md was measured here).
      const draining = new RssSampler(hub.gateway.pid);
      const drainStarted = performance.now();
      const { figures, accepted } = await senders.stop();
      context.accepted.push(...accepted);
      const drainBoundMs = seconds(context, 90, 180);
      const drained = await allDelivered(context, accepted, drainBoundMs);
      const drainPeak = draining.stop();
      const drainSeconds = ((performance.now() - drainStarted) / 1000).toFixed(1);
      const healthz = await probe.stop();
      const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
      return {
        load: figures,
        notes: [
          `offered ${rate} msg/s; ${figures.requestTimeouts} requests cut (408) and sent again`,
          `ops-port /healthz over load and drain: p99 ${healthz.p99Ms} ms, max ${healthz.maxMs} ms (${healthz.count} probes; under ${HEALTHZ_BOUND_MS} ms absolute: p99 ${healthz.p99Ms < HEALTHZ_BOUND_MS ? "yes" : "no"}, max ${healthz.maxMs < HEALTHZ_BOUND_MS ? "yes" : "no"}; a trivial server meanwhile: p99 ${healthz.controlP99Ms} ms, max ${healthz.controlMaxMs} ms; the API port's /healthz: p99 ${healthz.apiP99Ms} ms, max ${healthz.apiMaxMs} ms, ${healthz.apiRefused} refused)`,
          `gateway RSS peak ${mb(duringPeak)} MB during the load, ${mb(drainPeak)} MB while the backlog drained (${drained ? `${drainSeconds} s` : `not drained within ${drainBoundMs / 1000} s`})`,
          `gateway refusals by bound: ${refusals}`,
        ],
        checks: [
          {
            name: "every refusal carried Retry-After",
            ok: figures.refusedWithoutRetryAfter === 0,
            figure: String(figures.refusedWithoutRetryAfter),
          },
          {
            // What the gateway adds over a trivial server timed alongside: the machine's stalls are not its own.
            name: `/healthz p99 within ${HEALTHZ_BOUND_MS} ms of a trivial server's, never failed`,
            ok: healthz.p99Ms - healthz.controlP99Ms < HEALTHZ_BOUND_MS && healthz.failures === 0 && healthz.count > 0,
            figure: `p99 ${healthz.p99Ms} ms vs ${healthz.controlP99Ms} ms (absolute p99 ${healthz.p99Ms} ms, max ${healthz.maxMs} ms), ${healthz.failures} failed`,
          },
          {
            name: `gateway RSS under ${mb(GATEWAY_RSS_BOUND_BYTES)} MB during the load and while its backlog drained`,
            ok: Math.max(duringPeak, drainPeak) < GATEWAY_RSS_BOUND_BYTES,
            figure: `${mb(duringPeak)} MB, ${mb(drainPeak)} MB`,
          },
        ],
      };
    },
  },
  scaleOut(2, false),
  scaleOut(3, true),
  {
    name: "nats-node-kill",
    what: "3-node NATS cluster, streams R3: SIGKILL the leader of INGRESS, restart it; once healthy, the leader of AUDIT",
    infrastructure: "nats-cluster",
    // A hub of its own on three nats-servers: beyond CI's three minutes (test/nats-cluster-failover.e2e.test.ts runs there).
    fullRunOnly: true,
    run: async (context) => {
      const { hub } = context;
      const cluster = hub.cluster;
      if (cluster === undefined) throw new Error("nats-node-kill needs the hub on a NATS cluster");
      const notes: string[] = [];
      const checks: ScenarioCheck[] = [];
      const load = await underLoad(context, async (running) => {
        await pause(seconds(context, 2, 5));
        for (const role of ["ingress", "audit"] satisfies StreamRole[]) {
          const stream = hub.bus.topology.streams[role];
          const victim = await cluster.leaderOf(stream);
          if (victim === undefined) throw new Error(`${stream} has no leader before the kill`);
          const killedAt = performance.now();
          await victim.kill();
          const recovery = await recoveryAfterLoss(context, running, killedAt);
          notes.push(`${role} leader killed: ${recovery.note}`);
          checks.push(...recovery.checks.map((c) => ({ ...c, name: `${role} leader killed: ${c.name}` })));
          await pause(seconds(context, 2, 5));
          await victim.restart();
          // Caught up before the next kill, or the streams may be left without a quorum.
          await cluster.waitForHealthy();
        }
      });
      return { load, notes, checks };
    },
  },
  {
    name: "redis-failover",
    what: "Redis primary, replica and 3 sentinels: SIGKILL the primary, the replica is promoted; the old one rejoins",
    infrastructure: "redis-sentinel",
    // A hub of its own on Redis with Sentinel (test/redis-sentinel-failover.e2e.test.ts runs in CI).
    fullRunOnly: true,
    run: async (context) => {
      const { hub } = context;
      const sentinel = hub.sentinel;
      if (sentinel === undefined) throw new Error("redis-failover needs the hub on Redis with Sentinel");
      const notes: string[] = [];
      const checks: ScenarioCheck[] = [];
      const load = await underLoad(context, async (running) => {
        await pause(seconds(context, 2, 5));
        const primary = await sentinel.primary();
        const killedAt = performance.now();
        await primary.kill();
        await sentinel.waitForFailover(primary, RECOVERY_MS);
        notes.push(`replica promoted after ${Math.round(performance.now() - killedAt)} ms`);
        const recovery = await recoveryAfterLoss(context, running, killedAt);
        notes.push(recovery.note);
        checks.push(...recovery.checks);
        await pause(seconds(context, 2, 5));
        await primary.restart();
        await sentinel.waitForReplica(primary);
      });
      return { load, notes, checks };
    },
  },
];

/**
 * After a node or the Redis primary is lost at `killedAt`: how long until intake accepted messages again and a
 * query (`GET /v1/stats`, which writes an access record to AUDIT and reads the read model) answered 200; each
 * must happen within RECOVERY_MS.
 */
async function recoveryAfterLoss(
  context: ScenarioContext,
  running: Load,
  killedAt: number,
): Promise<{ note: string; checks: ScenarioCheck[] }> {
  const acceptedAtKill = running.figures.accepted;
  // Both at once: each figure is its own, not the sum of waiting for the other first.
  const [intakeMs, queryMs] = await Promise.all([
    within(RECOVERY_MS, async () => running.figures.accepted >= acceptedAtKill + ACCEPTED_AFTER_LOSS, killedAt),
    within(RECOVERY_MS, () => statsAnswers(context.hub), killedAt),
  ]);
  const ms = (v: number | undefined) => (v === undefined ? `none within ${RECOVERY_MS} ms` : `${Math.round(v)} ms`);
  return {
    note: `intake again after ${ms(intakeMs)}, queries after ${ms(queryMs)}`,
    checks: [
      {
        name: `intake accepted again within ${RECOVERY_MS / 1000} s`,
        ok: intakeMs !== undefined,
        figure: ms(intakeMs),
      },
      { name: `queries answered again within ${RECOVERY_MS / 1000} s`, ok: queryMs !== undefined, figure: ms(queryMs) },
    ],
  };
}

/** Polls `condition` until it holds (resolves with ms since `since`) or `timeoutMs` after `since` (undefined). */
async function within(
  timeoutMs: number,
  condition: () => Promise<boolean>,
  since: number,
): Promise<number | undefined> {
  for (;;) {
    if (await condition()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) return undefined;
    await pause(100);
  }
}

/** Whether an operator's `GET /v1/stats` answers 200 now. */
async function statsAnswers(hub: ChaosHub): Promise<boolean> {
  const response = await fetch(`${hub.gatewayUrl}/v1/stats`, {
    headers: { authorization: "Bearer token-operator" },
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  await response?.arrayBuffer().catch(() => undefined);
  return response?.status === 200;
}

/** `copies` copies of every worker on the same durable consumers, one of them SIGKILLed mid-load. */
function scaleOut(copies: number, fullRunOnly: boolean): Scenario {
  return {
    name: `scale-out-${copies}`,
    fullRunOnly,
    what: `${copies} copies of each worker on the same durable consumers; random copies SIGKILLed and restarted`,
    run: async (context) => {
      const { hub } = context;
      for (const worker of WORKERS) {
        while ((hub.copies.get(worker)?.length ?? 0) < copies) await hub.addCopy(worker);
      }
      let kills: string[] = [];
      const load = await underLoad(context, async () => {
        kills = await killRandomWorkers(context, context.bounded ? 1 : 2);
        await pause(seconds(context, 3, 20));
      });
      if (copies === 3 || context.bounded) for (const worker of WORKERS) await hub.removeExtraCopies(worker);
      return { load, notes: [`killed (unacked held): ${kills.join(" ")}`], checks: [] };
    },
  };
}

/** Messages waiting for, or held by, the databank's dispatcher consumer. */
async function databankBacklog(hub: ChaosHub): Promise<number> {
  for await (const consumer of hub.bus.jsm.consumers.list(hub.bus.topology.streams.outbox)) {
    if (consumer.name.includes("databank")) return consumer.num_pending + consumer.num_ack_pending;
  }
  return 0;
}

interface HealthzFigures {
  count: number;
  p99Ms: number;
  maxMs: number;
  failures: number;
  /** The same probe to a trivial server in the probe's process: what any answer took on this machine then. */
  controlP99Ms: number;
  controlMaxMs: number;
  /** The API port's /healthz (same event loop, behind the API port's connection bound): a figure, not checked. */
  apiP99Ms: number;
  apiMaxMs: number;
  apiRefused: number;
}

/** healthz-probe.ts in a process of its own; stop() ends it and resolves with its figures. */
function startHealthzProbe(url: string, apiUrl: string): { stop(): Promise<HealthzFigures> } {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./healthz-probe.ts", import.meta.url)), url, apiUrl], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      return JSON.parse(output) as HealthzFigures;
    },
  };
}

/**
 * open-loop-sender.ts in a process of its own, numbering its messages on from `traffic`; stop() ends the load,
 * waits until every message it began is stored, moves `traffic` past them and resolves with what it accepted.
 */
function startOpenLoopSender(
  gatewayUrl: string,
  rate: number,
  traffic: Traffic,
): { stop(): Promise<{ figures: LoadFigures; accepted: Outgoing[] }> } {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("./open-loop-sender.ts", import.meta.url)),
      gatewayUrl,
      String(rate),
      String(traffic.issued),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    stop: async () => {
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`the open-loop sender exited with ${code}`);
      const { figures, next, accepted } = JSON.parse(Buffer.concat(chunks).toString()) as {
        figures: LoadFigures;
        next: number;
        accepted: Outgoing[];
      };
      traffic.skipTo(next);
      return { figures, accepted };
    },
  };
}

/**
 * The gateway's refusals for load so far by bound and its Retry-After level, from its /metrics (ops port):
 * which bound the overload met (requests, bytes, connections, event-loop).
 */
async function gatewayRefusals(hub: ChaosHub): Promise<string> {
  const text = await (await fetch(`${hub.opsUrlOf(hub.gateway)}/metrics`)).text();
  const bounds = [...text.matchAll(/^carehub_gateway_refusals_total\{bound="([^"]+)"\} (\d+)/gm)].map(
    ([, bound, count]) => `${bound} ${count}`,
  );
  const level = /^carehub_gateway_retry_after_seconds (\d+)/m.exec(text)?.[1] ?? "?";
  return `${bounds.length === 0 ? "none" : bounds.join(", ")}; Retry-After level at the end ${level} s`;
}

/** Whether every message of `sent` reached every receiver it is for, polled until `timeoutMs`. */
async function allDelivered(context: ScenarioContext, sent: Outgoing[], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (sent.every((m) => m.to.every((to) => context.hub.receivers.has(to, m.messageId)))) return true;
    if (performance.now() > deadline) return false;
    await pause(200);
  }
}

/** The peak resident memory of a process, sampled every 200 ms until stop(). */
class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #sample: () => void;
  constructor(pid: number | undefined) {
    this.#sample = () => {
      this.#peak = Math.max(this.#peak, rssOf(pid));
    };
    this.#sample();
    this.#timer = setInterval(this.#sample, 200);
  }
  /** Stops sampling (one last sample first); the peak. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }
}

/** Resident memory of a process (Linux /proc), 0 if it is gone. */
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
