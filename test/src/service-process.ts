import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Bus } from "@carehub/bus";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";

/**
 * One hub service as operators run it: a child process `carehub start <service>` (or all of them in one,
 * `carehub start --all`), which a test can freeze,
 * kill and start again. Its ops URL (and the gateway's URL) come from the "carehub running" line it prints.
 * Used by the process-per-service and kill-restart suites and by the chaos suite (test/chaos).
 */

const CLI = fileURLToPath(new URL("../../services/hub/src/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const HUB_SERVICES = ["gateway", "intake", "router", "dispatcher", "tracker"] as const;
export type HubService = (typeof HUB_SERVICES)[number];

export interface RunningUrls {
  opsUrl: string;
  gatewayUrl: string | undefined;
  /** The services the "carehub running" line names. */
  services: string[];
}

/**
 * The environment a hub process of these suites starts with: the shared NATS and Redis, its namespace, its registry
 * file, the gateway on a port the system picks; `more` adds to it or overrides it.
 */
export function hubProcessEnv(
  namespace: string,
  registryPath: string,
  more: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    CAREHUB_NAMESPACE: namespace,
    CAREHUB_REGISTRY: registryPath,
    CAREHUB_HTTP_PORT: "0",
    ...more,
  };
}

/** What a process runs: one service (`carehub start <service>`), or every one (`carehub start --all`). */
export type StartTarget = HubService | "all";

export class ServiceProcess {
  readonly name: StartTarget;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  #output = "";
  #exited: Promise<number | null> = Promise.resolve(null);
  #running: Promise<RunningUrls> | undefined;

  constructor(name: StartTarget, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.#env = env;
  }

  /** Spawns the process (again, after a kill); `running()` then waits for its start-up line. */
  start(): void {
    const target = this.name === "all" ? "--all" : this.name;
    const child = spawn(process.execPath, [CLI, "start", target], {
      cwd: ROOT,
      // Each process serves /metrics on a port of its own unless the environment names one; 0: the system picks.
      // The test profile (as in the harness): no load shed for event-loop lag or INGRESS backlog unless the
      // environment sets those bounds.
      env: { CAREHUB_OPS_PORT: "0", CAREHUB_PROFILE: "test", ...this.#env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#output = "";
    this.#exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    let seen = "";
    this.#running = new Promise<RunningUrls>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        this.#output = (this.#output + chunk.toString()).slice(-4_000);
        const line = seen.split("\n").find((l) => l.startsWith("carehub running"));
        if (line === undefined) return;
        seen = "";
        const opsUrl = /; ops (http:\/\/\S+) /.exec(line)?.[1];
        if (opsUrl === undefined) reject(new Error(`${this.name}: no ops URL in ${JSON.stringify(line)}`));
        else {
          const services = (/\): ([^;]*)/.exec(line)?.[1] ?? "").split(", ").filter((name) => name !== "");
          resolve({ opsUrl, gatewayUrl: /; gateway (http:\/\/\S+) /.exec(line)?.[1], services });
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      void this.#exited.then((code) =>
        reject(new Error(`${this.name} exited (${code}) before it started:\n${this.#output}`)),
      );
    });
    // A caller that never asks for the URLs must not see an unhandled rejection when the process is killed.
    this.#running.catch(() => undefined);
    this.#child = child;
  }

  /** Resolves with the process's URLs once it prints "carehub running"; rejects if it exits or times out first. */
  async running(timeoutMs = 60_000): Promise<RunningUrls> {
    const running = this.#running;
    if (running === undefined) throw new Error(`${this.name} was not started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not start:\n${this.#output}`)), timeoutMs);
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get alive(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGSTOP / SIGCONT: freeze and thaw the process without ending it. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.#child?.kill(signal);
  }

  /** Sends `signal` and resolves with the exit code once the process has ended (at once if it is not running). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.alive) this.#child?.kill(signal);
    return this.#exited;
  }

  /** The last 4 000 characters the process wrote. */
  get output(): string {
    return this.#output;
  }
}

export type HubWorker = Exclude<HubService, "gateway">;
type ConsumedStream = "ingress" | "pipeline" | "outbox" | "events";

/**
 * The durable consumers each worker pulls with (start-intake.ts, start-router.ts, dispatcher.ts — one per
 * endpoint —, start-tracker.ts): what it holds unacknowledged at a kill is the work the kill interrupted.
 */
export const WORKER_CONSUMERS: Record<HubWorker, Array<[ConsumedStream, (durable: string) => boolean]>> = {
  intake: [["ingress", (d) => d === "intake"]],
  router: [["pipeline", (d) => d === "router"]],
  dispatcher: [["outbox", (d) => d.startsWith("dispatch-")]],
  tracker: [
    ["events", (d) => d === "tracker"],
    ["pipeline", (d) => d === "tracker-status"],
  ],
};

/** What a worker's consumers have waiting for them, and hold delivered and unacknowledged. */
export async function consumerState(
  bus: Pick<Bus, "jsm" | "topology">,
  worker: HubWorker,
): Promise<{ pending: number; ackPending: number; consumers: number }> {
  const state = { pending: 0, ackPending: 0, consumers: 0 };
  for (const [role, owns] of WORKER_CONSUMERS[worker]) {
    for await (const consumer of bus.jsm.consumers.list(bus.topology.streams[role])) {
      if (!owns(consumer.name)) continue;
      state.consumers++;
      state.pending += consumer.num_pending;
      state.ackPending += consumer.num_ack_pending;
    }
  }
  return state;
}
