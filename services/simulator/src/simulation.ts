import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Clock, createClient, systemClock } from "@carehub/client";
import { type Agent, createAgent } from "./endpoint-agent.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { createPlanner, type PlannedMessage, planMessages } from "./planner.ts";
import { demoScenario, type Scenario } from "./scenario.ts";
import { buildScenarioRegistry, type ScenarioRegistry } from "./scenario-registry.ts";
import { emptyStats, type SimulationStats } from "./stats.ts";
import { buildWorld, type SimWorld } from "./world.ts";

export interface SimulationOptions {
  seed: number | string;
  /** Messages per second the endpoints offer on their own initiative (status updates and acks come on top). */
  rate: number;
  scenario?: Scenario;
  /** The hub's HTTP base URL; may also be given to start(). */
  hubUrl?: string;
  clock?: Clock;
  /** Epoch ms the planned messages' times count from; default: when start() is called. */
  startTime?: number;
  /** Interface the webhook servers listen on. Default 127.0.0.1. */
  host?: string;
  /** For endpoints in NATS delivery mode. */
  natsUrl?: string | string[];
  namespace?: string;
  /** The senders' resend policy; default MedCom's 30 minutes and 2 resends. */
  ackTimeoutMs?: number;
  maxResends?: number;
  /** Stop offering new messages after this many. */
  limit?: number;
  maxInFlight?: number;
  /** Called for each planned message as it is taken for sending, in plan order. */
  onPlanned?: (message: PlannedMessage) => void;
  onError?: (endpointId: string, error: unknown) => void;
}

export interface Simulation {
  readonly seed: number | string;
  readonly rate: number;
  readonly scenario: Scenario;
  readonly world: SimWorld;
  /** Starts a webhook server per HTTP endpoint and builds the registry that points at them. */
  listen(): Promise<ScenarioRegistry>;
  /** The registry (after listen()). */
  readonly registry: ScenarioRegistry | undefined;
  /** Starts the endpoints: NATS inboxes, then the paced sending. */
  start(options?: { hubUrl?: string }): Promise<void>;
  /**
   * Stops sending (planned messages, status updates, resends) and waits for sends in flight, but keeps
   * answering deliveries: stop the hub after this, then call stop(), so the hub never delivers into a
   * closed endpoint while it drains.
   */
  stopSending(): Promise<void>;
  /** Stops sending, waits for sends in flight, closes every server and connection. */
  stop(): Promise<void>;
  /** The first n messages the simulation sends on its own initiative: deterministic for seed + scenario + start time. */
  plannedMessages(n: number): PlannedMessage[];
  stats(): SimulationStats;
}

/**
 * A region of simulated endpoints built on @carehub/client: practices, municipalities, hospitals, a lab and
 * a databank, each with its own identity and token, sending at a paced rate and answering what they get.
 */
export function createSimulation(options: SimulationOptions): Simulation {
  const scenario = options.scenario ?? demoScenario();
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const world = buildWorld(scenario, options.seed);
  const nats = new Set(scenario.natsEndpoints);
  const stats = emptyStats();
  const servers = new Map<string, Server>();
  const agents = new Map<string, Agent>();
  let registry: ScenarioRegistry | undefined;
  let pacer: Pacer | undefined;
  let startedAt = clock.now();
  let state: "new" | "listening" | "running" | "stopped" = "new";

  const plannerOptions = (startTime: number) => ({
    seed: options.seed,
    rate: options.rate,
    scenario,
    world,
    startTime,
  });

  async function listen(): Promise<ScenarioRegistry> {
    if (registry !== undefined) return registry;
    const urls = new Map<string, string>();
    for (const endpoint of world.endpoints) {
      if (nats.has(endpoint.id)) continue;
      // The agent does not exist yet; the server looks it up per request.
      const server = createServer((request, response) => {
        const agent = agents.get(endpoint.id);
        if (agent === undefined) {
          request.resume();
          response.writeHead(503).end();
          return;
        }
        agent.webhook(request, response);
      });
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve());
      });
      servers.set(endpoint.id, server);
      const { port } = server.address() as AddressInfo;
      urls.set(endpoint.id, `http://${host}:${port}/messages`);
    }
    registry = buildScenarioRegistry(scenario, {
      seed: options.seed,
      webhookUrl: (id) => urls.get(id) ?? `http://${host}:9/${id}`,
    });
    state = "listening";
    return registry;
  }

  async function closeServers() {
    await Promise.all(
      [...servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    servers.clear();
  }

  return {
    seed: options.seed,
    rate: options.rate,
    scenario,
    world,
    listen,
    get registry() {
      return registry;
    },
    async start(startOptions = {}) {
      if (state === "running") return;
      if (state === "stopped") throw new Error("a stopped simulation cannot be started again");
      const hubUrl = startOptions.hubUrl ?? options.hubUrl;
      if (hubUrl === undefined) throw new Error("createSimulation: no hubUrl to send to");
      const { tokens, signingSecrets } = await listen();
      startedAt = clock.now();
      for (const endpoint of world.endpoints) {
        const token = tokens[endpoint.id];
        if (token === undefined) throw new Error(`no token for ${endpoint.id}`);
        const client = createClient({ baseUrl: hubUrl, token, endpointId: endpoint.id });
        agents.set(
          endpoint.id,
          createAgent({
            endpoint,
            world,
            scenario,
            seed: options.seed,
            clock,
            client,
            stats,
            ackTimeoutMs: options.ackTimeoutMs ?? 30 * 60_000,
            maxResends: options.maxResends ?? 2,
            startedAt: () => startedAt,
            signingSecret: signingSecrets[endpoint.id],
            ...(options.onError === undefined ? {} : { onError: options.onError }),
          }),
        );
      }
      for (const endpoint of world.endpoints) {
        if (!nats.has(endpoint.id)) continue;
        if (options.natsUrl === undefined)
          throw new Error(`endpoint ${endpoint.id} takes NATS deliveries: natsUrl is needed`);
        await agents
          .get(endpoint.id)
          ?.consumeInbox({ natsUrl: options.natsUrl, namespace: options.namespace ?? "carehub" });
      }
      const planner = createPlanner(plannerOptions(options.startTime ?? startedAt));
      pacer = createPacer<PlannedMessage>({
        rate: options.rate,
        clock,
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
        next: () => {
          const message = planner.next();
          stats.planned++;
          options.onPlanned?.(message);
          return message;
        },
        send: (message) => agents.get(message.from)?.send(message) ?? Promise.resolve(),
      });
      state = "running";
      pacer.start();
    },
    async stopSending() {
      await pacer?.stop();
      await Promise.allSettled([...agents.values()].map((agent) => agent.quiesce()));
    },
    async stop() {
      if (state === "stopped") return;
      state = "stopped";
      await pacer?.stop();
      await Promise.allSettled([...agents.values()].map((agent) => agent.stop()));
      await closeServers();
    },
    plannedMessages: (n) => planMessages(plannerOptions(options.startTime ?? startedAt), n),
    stats() {
      stats.behind = pacer?.behind() ?? 0;
      return structuredClone(stats);
    },
  };
}
