import { randomBytes } from "node:crypto";
import { type HubConfig, type LifecycleEvent, parseHubConfig, type RegistryConfig } from "@carehub/schemas";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type EventTally, emptyTally, tallyEvent } from "./event-tally.ts";
import { demoMisbehaviour, demoScenario, type Misbehaviour, type Scenario } from "./scenario.ts";
import { DEMO_OPERATOR_ID } from "./scenario-registry.ts";
import { createSimulation, type Simulation } from "./simulation.ts";
import { emptyStats, type SimulationStats } from "./stats.ts";
import { renderSummary } from "./summary.ts";
import { buildWorld } from "./world.ts";

/** What the demo needs from a running hub. */
export interface DemoHub {
  /** The hub's HTTP base URL (the real port when httpPort was 0). */
  url: string;
  /** Where the hub writes its warnings and errors while the demo runs, if not to the terminal. */
  logFile?: string;
  /** The operators' web console, when the hub runs it (sign in with the demo's operator token). */
  consoleUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the hub in-process with the scenario's registry. Injected by the caller (the `carehub demo` CLI in
 * services/hub passes its startHub) because services never import each other.
 */
export type DemoHubStarter = (request: { registry: RegistryConfig; config: HubConfig }) => Promise<DemoHub>;

export interface DemoOptions {
  startHub: DemoHubStarter;
  seed?: number;
  /** Messages per second the endpoints offer on their own initiative. Default 20. */
  rate?: number;
  /** Stop by itself after this long; default: run until Ctrl-C (or the signal). */
  durationMs?: number;
  /** Make some endpoints misbehave: slow, down for a while, invalid messages, duplicates, never acknowledging. */
  misbehave?: boolean;
  /**
   * How long the hub waits for each receiver's acknowledgement before it flags ack-overdue (the registry's
   * ackTimeoutSeconds); default the scenario's, 45 s. At QUICK_ACK_TIMEOUT_SECONDS or less, misbehaviour
   * is front-loaded (demoMisbehaviour `quick`) so every failure path shows within seconds.
   */
  ackTimeoutSeconds?: number;
  /** Overrides of the hub configuration otherwise read from `env` (namespace, URLs, port). */
  config?: Partial<HubConfig>;
  env?: Record<string, string | undefined>;
  scenario?: Scenario;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Redraw the summary in place (ANSI) instead of appending it; default: when the output is a terminal. */
  live?: boolean;
  refreshMs?: number;
  /** Stops the demo when aborted; without one, SIGINT / SIGTERM do. */
  signal?: AbortSignal;
}

export interface DemoResult {
  hubUrl: string;
  namespace: string;
  durationMs: number;
  tally: EventTally;
  simulation: SimulationStats;
}

/**
 * Runs carehub with a simulated region: starts the hub in-process with the region's registry, the simulated
 * endpoints (webhook servers on loopback ports), prints where to look and a live summary every second, and
 * stops everything it started when the duration ends or on Ctrl-C.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const output = options.output ?? process.stdout;
  const seed = options.seed ?? 1;
  const rate = options.rate ?? 20;
  const config = parseHubConfig(options.env ?? process.env, options.config ?? {});
  const scenario = demoScenarioFor(options, seed);
  const live = options.live ?? output.isTTY === true;
  const started = Date.now();
  const tally = emptyTally();
  const write = (text: string) => output.write(text);

  let simulation: Simulation | undefined;
  let hub: DemoHub | undefined;
  let events: NatsConnection | undefined;
  let refresh: NodeJS.Timeout | undefined;
  const stopped = stopSignal(options);
  try {
    simulation = createSimulation({
      seed,
      rate,
      scenario,
      natsUrl: config.natsUrl.split(","),
      namespace: config.namespace,
      // Short enough that resends and give-ups show within minutes (MedCom's own is 30 minutes).
      ackTimeoutMs: 60_000,
    });
    const region = await simulation.listen();
    events = await connect({
      servers: config.natsUrl.split(","),
      ...(config.natsUser === undefined ? {} : { user: config.natsUser, pass: config.natsPass }),
      name: "carehub-demo-summary",
    });
    const subscription = events.subscribe(`${config.namespace}.events.>`);
    void (async () => {
      for await (const message of subscription) {
        const event = parseEvent(message.data);
        if (event !== undefined) tallyEvent(tally, event);
      }
    })();
    hub = await options.startHub({ registry: region.registry, config });
    await simulation.start({ hubUrl: hub.url });

    const practice = region.endpoints.find((e) => e.role === "practice");
    const token = practice === undefined ? "<token>" : (region.tokens[practice.id] ?? "<token>");
    const pointers = pointersFor(hub, config.namespace, { id: practice?.id ?? "", token }, region.operatorToken);
    const title = `carehub demo — seed ${seed}, ${rate} msg/s, ${region.endpoints.length} endpoints, ack timeout ${scenario.ackTimeoutSeconds} s${options.misbehave === true ? ", misbehaving" : ""}`;
    write(`${[title, ...pointers, ...misbehaviourLines(scenario)].join("\n")}\n\n`);
    const draw = () => {
      const lines = renderSummary({
        title,
        elapsedMs: Date.now() - started,
        tally,
        simulation: simulation?.stats() ?? emptyStats(),
        pointers: live ? pointers : [],
      });
      write(live ? `\x1b[H\x1b[2J${lines.join("\n")}\n` : `${lines.join("\n")}\n\n`);
    };
    refresh = setInterval(draw, live ? (options.refreshMs ?? 1_000) : Math.max(options.refreshMs ?? 10_000, 1_000));

    await stopped.wait(options.durationMs);
    clearInterval(refresh);
    refresh = undefined;
    draw();
  } finally {
    if (refresh !== undefined) clearInterval(refresh);
    stopped.dispose();
    // Quiet endpoints first, then the hub, then the endpoints' servers: the hub never delivers into a
    // closed endpoint while it drains.
    await simulation?.stopSending();
    await hub?.stop();
    await simulation?.stop();
    await events?.drain().catch(() => undefined);
  }
  write("carehub demo stopped: every server, connection and timer it started is closed.\n");
  return {
    hubUrl: hub.url,
    namespace: config.namespace,
    durationMs: Date.now() - started,
    tally,
    simulation: simulation.stats(),
  };
}

/** An ack timeout this short asks for a quick demo: the misbehaviour is front-loaded. */
export const QUICK_ACK_TIMEOUT_SECONDS = 10;

function demoScenarioFor(options: DemoOptions, seed: number): Scenario {
  const base = options.scenario ?? demoScenario();
  const { ackTimeoutSeconds } = options;
  if (ackTimeoutSeconds !== undefined && !(Number.isInteger(ackTimeoutSeconds) && ackTimeoutSeconds >= 1)) {
    throw new RangeError(`ackTimeoutSeconds must be a whole number of seconds >= 1, not ${ackTimeoutSeconds}`);
  }
  const scenario = ackTimeoutSeconds === undefined ? base : { ...base, ackTimeoutSeconds };
  if (options.misbehave !== true) return scenario;
  const world = buildWorld(scenario, seed);
  return {
    ...scenario,
    misbehaviour: demoMisbehaviour(
      {
        practices: world.byRole.practice.map((e) => e.id),
        municipalities: world.byRole.municipality.map((e) => e.id),
        hospitals: world.byRole.hospital.map((e) => e.id),
      },
      { quick: scenario.ackTimeoutSeconds <= QUICK_ACK_TIMEOUT_SECONDS },
    ),
  };
}

/** One line per misbehaving endpoint, so the failures can be found in the API by endpoint id. */
function misbehaviourLines(scenario: Scenario): string[] {
  return scenario.misbehaviour.map((m) => `  misbehave ${m.type.padEnd(12)} ${m.endpoint}: ${describeMisbehaviour(m)}`);
}

function describeMisbehaviour(m: Misbehaviour): string {
  switch (m.type) {
    case "slow":
      return `answers deliveries after ${m.delayMs} ms`;
    case "down":
      return `down ${m.forMs / 1000} s of every ${m.everyMs / 1000} s from ${m.afterMs / 1000} s in (retries)`;
    case "invalid":
      return `sends ${pct(m.probability)} of its messages broken (rejected)`;
    case "duplicates":
      return `sends ${pct(m.probability)} of its messages twice (duplicates)`;
    case "never-ack":
      return "never acknowledges (ack-overdue)";
    case "refuse":
      return `refuses ${pct(m.probability)} of deliveries with HTTP 400 (dead letters)`;
    case "negative-ack":
      return `answers ${pct(m.probability)} of deliveries with a negative acknowledgement`;
  }
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/**
 * Where to look. The queries use the region's operator token (an operator reads everything; an endpoint
 * only its own messages); sending uses an endpoint's token (operators send nothing).
 */
function pointersFor(
  hub: Pick<DemoHub, "url" | "logFile" | "consoleUrl">,
  namespace: string,
  endpoint: { id: string; token: string },
  operatorToken: string,
): string[] {
  const { url, logFile, consoleUrl } = hub;
  const read = `-H 'Authorization: Bearer ${operatorToken}'`;
  const send = `-H 'Authorization: Bearer ${endpoint.token}'`;
  return [
    `  API       ${url}   (namespace ${namespace})`,
    `  OpenAPI   ${url}/openapi.json`,
    `  health    ${url}/healthz · ${url}/readyz · ${url}/metrics`,
    ...(consoleUrl === undefined
      ? []
      : [`  console   ${consoleUrl}   (sign in with the operator token below: role operator)`]),
    ...(logFile === undefined ? [] : [`  logs      ${logFile}   (the hub's warnings and errors)`]),
    `  operator token ${DEMO_OPERATOR_ID} = ${operatorToken}   (valid for this run only; reads everything)`,
    `  dev token ${endpoint.id} = ${endpoint.token}   (valid for this run only; sends as ${endpoint.id})`,
    `  try       curl -s ${read} ${url}/v1/stats`,
    `            curl -s ${read} '${url}/v1/messages?kind=referral&limit=5'`,
    `            curl -s ${read} ${url}/v1/messages/<hubId>   ·   /v1/referrals/<originator>/<id>   ·   /v1/unmatched`,
    `            curl -s -X POST ${send} -H 'Content-Type: application/fhir+json' --data-binary @message.json ${url}/v1/messages`,
  ];
}

function parseEvent(data: Uint8Array): LifecycleEvent | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as { type?: unknown };
    return typeof value.type === "string" ? (value as LifecycleEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves when the duration passes, the caller's signal aborts, or (without a signal) on SIGINT / SIGTERM. */
function stopSignal(options: DemoOptions) {
  let resolveStop: () => void = () => {};
  const stop = new Promise<void>((resolve) => (resolveStop = resolve));
  const onSignal = () => resolveStop();
  if (options.signal !== undefined) {
    if (options.signal.aborted) resolveStop();
    options.signal.addEventListener("abort", onSignal, { once: true });
  } else {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    wait(durationMs: number | undefined): Promise<void> {
      if (durationMs !== undefined) timer = setTimeout(onSignal, durationMs);
      return stop;
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onSignal);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    },
  };
}

/** A namespace for one bounded demo run (tests, CI): a fresh one never collides with another run. */
export function demoNamespace(): string {
  return `demo-${randomBytes(4).toString("hex")}`;
}
