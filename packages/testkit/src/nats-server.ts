import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { TestkitStartError } from "./errors.ts";
import {
  binary,
  freePort,
  killHard,
  type ManagedProcess,
  makeTempDir,
  removeTempDir,
  spawnTracked,
  terminate,
  waitUntil,
} from "./processes.ts";

export interface NatsServerOptions {
  /** Default true. */
  jetstream?: boolean;
  /** Default: a free loopback port. */
  port?: number;
  /** Default: a temporary directory, removed by stop(). A given directory is never removed. */
  storeDir?: string;
  /** Extra command-line arguments. */
  args?: string[];
  /**
   * The server's `max_payload` in bytes (default nats-server's own, 1 MiB): a small one makes claim-checked messages
   * small enough for a test. Set in a config file in the store directory (nats-server has no flag for it).
   */
  maxPayload?: number;
  /** Path to the binary; default /usr/sbin/nats-server, /usr/local/bin/nats-server, then PATH. */
  binary?: string;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  /** HTTP monitoring port (/varz, /jsz, /healthz). */
  readonly monitorPort: number;
  readonly storeDir: string;
  /** Graceful stop (SIGTERM) and cleanup of a temporary store. Final: use kill() + restart() for crash tests. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the store, as a crash would. */
  kill(): Promise<void>;
  /** Starts again on the same port and store (stopping it first, gracefully, if it runs). */
  restart(): Promise<void>;
}

export function natsServerBinary(explicit?: string): string {
  return (
    explicit ?? binary("nats-server", ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"])
  );
}

/** Resolves when something on the port answers with a NATS INFO line. */
export function natsAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("data", (chunk) => done(chunk.toString("utf8").startsWith("INFO")));
    socket.once("error", () => done(false));
  });
}

/** GET a monitoring endpoint as JSON. */
export function monitor(port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: 2_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("monitoring request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** JetStream answers on this node (for a cluster node: it also knows the meta leader). */
async function jetStreamReady(monitorPort: number, clustered: boolean): Promise<boolean> {
  const jsz = (await monitor(monitorPort, "/jsz")) as { disabled?: boolean; meta_cluster?: { leader?: string } };
  if (jsz.disabled) return false;
  return !clustered || Boolean(jsz.meta_cluster?.leader);
}

interface ServerPlan {
  port: number;
  monitorPort: number;
  storeDir: string;
  ownsStore: boolean;
  jetstream: boolean;
  clustered: boolean;
  command: string;
  args: string[];
}

/** A nats-server process that can be stopped, killed and restarted with the same port and store. */
export class ManagedNatsServer implements NatsServerHandle {
  readonly #plan: ServerPlan;
  #process: ManagedProcess | undefined;
  #stopped = false;

  constructor(plan: ServerPlan) {
    this.#plan = plan;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.#plan.port}`;
  }
  get port(): number {
    return this.#plan.port;
  }
  get monitorPort(): number {
    return this.#plan.monitorPort;
  }
  get storeDir(): string {
    return this.#plan.storeDir;
  }

  /** Spawns the process and waits until clients can connect (and, with JetStream, until it answers). */
  async start(waitForJetStream = true): Promise<void> {
    if (this.#stopped) throw new TestkitStartError("this nats-server was stopped for good; start a new one");
    const proc = spawnTracked(this.#plan.command, this.#plan.args);
    this.#process = proc;
    await waitUntil(`nats-server on port ${this.#plan.port}`, () => natsAnswers(this.#plan.port), proc);
    if (this.#plan.jetstream && waitForJetStream) await this.waitForJetStream();
  }

  waitForJetStream(timeoutMs = 30_000): Promise<void> {
    return waitUntil(
      `JetStream on port ${this.#plan.port}`,
      () => jetStreamReady(this.#plan.monitorPort, this.#plan.clustered),
      this.#process,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#process !== undefined) await terminate(this.#process);
    if (this.#plan.ownsStore) removeTempDir(this.#plan.storeDir);
  }

  async kill(): Promise<void> {
    if (this.#process !== undefined) await killHard(this.#process);
  }

  async restart(): Promise<void> {
    if (this.#process !== undefined) await terminate(this.#process);
    await this.start();
  }
}

export async function planNatsServer(
  options: NatsServerOptions & { clusterArgs?: string[]; clustered?: boolean; name?: string },
): Promise<ServerPlan> {
  const port = options.port ?? (await freePort());
  const monitorPort = await freePort();
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? makeTempDir("carehub-nats-");
  const jetstream = options.jetstream ?? true;
  const args = ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort)];
  if (options.name !== undefined) args.push("-n", options.name);
  if (jetstream) args.push("-js", "-sd", storeDir);
  if (options.maxPayload !== undefined) {
    const config = join(storeDir, "max-payload.conf");
    writeFileSync(config, `max_payload: ${options.maxPayload}\n`);
    args.push("-c", config);
  }
  args.push(...(options.clusterArgs ?? []), ...(options.args ?? []));
  return {
    port,
    monitorPort,
    storeDir,
    ownsStore,
    jetstream,
    clustered: options.clustered ?? false,
    command: natsServerBinary(options.binary),
    args,
  };
}

/** A private nats-server on a free loopback port with temporary JetStream storage. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const server = new ManagedNatsServer(await planNatsServer(options));
  try {
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

export interface NatsClusterHandle {
  /** Client URLs of every node. */
  readonly urls: string[];
  readonly servers: NatsServerHandle[];
  /** Each node's server name (what JetStream names a stream's leader and replicas by), in `servers` order. */
  readonly names: string[];
  /**
   * The node that leads a stream (or, with `consumer`, that consumer), asked of the nodes' monitoring ports;
   * undefined while it has no leader (during an election, or when no node that answers knows the stream).
   */
  leaderOf(stream: string, consumer?: string): Promise<NatsServerHandle | undefined>;
  /**
   * Resolves once every node of `nodes` (default: all) answers `/healthz` with ok: for a JetStream node, every
   * stream and consumer copy it holds is current. Wait for it after a restart before killing another node, or
   * the streams may be left without a quorum.
   */
  waitForHealthy(nodes?: readonly NatsServerHandle[], timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their stores. */
  stop(): Promise<void>;
}

interface JszStreams {
  account_details?: Array<{
    stream_detail?: Array<{
      name: string;
      cluster?: { leader?: string };
      consumer_detail?: Array<{ name: string; cluster?: { leader?: string } }>;
    }>;
  }>;
}

/** The leader a node's `/jsz` reports for a stream or one of its consumers (any account); undefined if none. */
async function reportedLeader(monitorPort: number, stream: string, consumer?: string): Promise<string | undefined> {
  const path = `/jsz?accounts=true&streams=true${consumer === undefined ? "" : "&consumers=true"}`;
  const jsz = (await monitor(monitorPort, path)) as JszStreams;
  for (const account of jsz.account_details ?? []) {
    const detail = account.stream_detail?.find((s) => s.name === stream);
    if (detail === undefined) continue;
    if (consumer === undefined) return detail.cluster?.leader;
    return detail.consumer_detail?.find((c) => c.name === consumer)?.cluster?.leader;
  }
  return undefined;
}

/** `size` JetStream nodes on loopback, routed to each other; resolves once the cluster has a meta leader. */
export async function startNatsCluster(
  size = 3,
  options: Omit<NatsServerOptions, "port" | "storeDir"> = {},
): Promise<NatsClusterHandle> {
  // A free port is free when asked, not when a node binds it: another process may take it in between (seen in CI:
  // a route port "address already in use"). Such a start is tried again on new ports; any other failure is thrown.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsClusterOnce(size, options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes("address already in use")) throw error;
    }
  }
}

async function startNatsClusterOnce(
  size: number,
  options: Omit<NatsServerOptions, "port" | "storeDir">,
): Promise<NatsClusterHandle> {
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const clusterName = `carehub-test-${Math.random().toString(36).slice(2, 8)}`;
  const servers: ManagedNatsServer[] = [];
  for (let i = 0; i < size; i++) {
    const plan = await planNatsServer({
      ...options,
      jetstream: true,
      clustered: true,
      name: `${clusterName}-n${i + 1}`,
      clusterArgs: [
        "--cluster_name",
        clusterName,
        "--cluster",
        `nats://127.0.0.1:${clusterPorts[i]}`,
        "--routes",
        routes,
      ],
    });
    servers.push(new ManagedNatsServer(plan));
  }
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    // Start every node before waiting for JetStream: the meta leader needs a quorum.
    await Promise.all(servers.map((s) => s.start(false)));
    await Promise.all(servers.map((s) => s.waitForJetStream()));
  } catch (error) {
    await stop();
    throw error;
  }
  const names = servers.map((_, i) => `${clusterName}-n${i + 1}`);
  const leaderOf = async (stream: string, consumer?: string): Promise<NatsServerHandle | undefined> => {
    // Every live node that hosts a copy knows the leader; a killed node's port does not answer, so ask them all.
    for (const server of servers) {
      const leader = await reportedLeader(server.monitorPort, stream, consumer).catch(() => undefined);
      const index = leader === undefined ? -1 : names.indexOf(leader);
      if (index >= 0) return servers[index];
    }
    return undefined;
  };
  const waitForHealthy = async (nodes: readonly NatsServerHandle[] = servers, timeoutMs = 60_000): Promise<void> => {
    for (const node of nodes) {
      await waitUntil(
        `nats-server on port ${node.port} to be healthy`,
        async () => {
          const health = (await monitor(node.monitorPort, "/healthz")) as { status?: string };
          // Not ok yet: thrown, so a wait that runs out names what the node last said (e.g. which stream lags).
          if (health.status !== "ok") throw new Error(`/healthz: ${JSON.stringify(health)}`);
          return true;
        },
        undefined,
        timeoutMs,
      );
    }
  };
  return { urls: servers.map((s) => s.url), servers, names, leaderOf, waitForHealthy, stop };
}
