/**
 * The hub under chaos: a private nats-server and redis-server (the suite kills and restarts them, so never the
 * shared ones), the recording receivers of the five pipeline endpoints, and one `carehub start <service>`
 * process per service — more per worker when a scenario scales out — in one namespace.
 *
 * The infrastructure a scenario needs decides how the hub is set up (`ChaosInfrastructure`): one nats-server and
 * one redis-server (`single`), a private 3-node JetStream cluster with every stream in 3 copies and NATS_URL
 * naming all three nodes (`nats-cluster`), or a Redis primary, a replica and three sentinels that the services
 * know only through CAREHUB_REDIS_SENTINELS (`redis-sentinel`). The runner starts one hub per infrastructure.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, connectBus } from "@carehub/bus";
import { parseHubConfig } from "@carehub/schemas";
import {
  freePort,
  type NatsClusterHandle,
  type NatsServerHandle,
  type RedisSentinelHandle,
  type RedisServerHandle,
  startNatsCluster,
  startNatsServer,
  startRedisSentinel,
  startRedisServer,
  testNamespace,
} from "@carehub/testkit";
import { Redis } from "ioredis";
import { pipelineRegistry } from "../src/pipeline-traffic.ts";
import { RecordingReceivers } from "../src/recording-receivers.ts";
import { HUB_SERVICES, type HubService, type HubWorker, ServiceProcess } from "../src/service-process.ts";

/** The gateway's admission limit for the chaos hub: low enough that the overload scenario meets it on 2 cores. */
export const CHAOS_MAX_INFLIGHT_REQUESTS = 32;
export const CHAOS_PATIENT_HASH_KEY = "chaos-suite-patient-hash-key-0123";
const POSSIBLE_DUPLICATES = /^carehub_delivery_possible_duplicates_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm;

/** What a scenario's hub runs on: one server each, a 3-node NATS cluster (R3), or Redis behind sentinels. */
export type ChaosInfrastructure = "single" | "nats-cluster" | "redis-sentinel";

export class ChaosHub {
  readonly namespace = testNamespace("chaos");
  /** The 3-node cluster (`nats-cluster` only; `nats` is then its first node). */
  cluster?: NatsClusterHandle;
  /** The primary, replica and sentinels (`redis-sentinel` only; `redisServer` is then the first primary). */
  sentinel?: RedisSentinelHandle;
  readonly receivers = new RecordingReceivers();
  /** Every running copy of each service; the first copy of each is the one the run started with. */
  readonly copies = new Map<HubService, ServiceProcess[]>();
  nats!: NatsServerHandle;
  redisServer!: RedisServerHandle;
  bus!: Bus;
  redis!: Redis;
  gatewayUrl = "";
  registryPath = "";
  env: NodeJS.ProcessEnv = {};
  /** Possible wire duplicates counted by dispatcher processes that have since been stopped or killed. */
  #banked = 0;
  readonly #opsUrls = new Map<ServiceProcess, string>();
  #dir = "";

  readonly infrastructure: ChaosInfrastructure;

  constructor(infrastructure: ChaosInfrastructure = "single") {
    this.infrastructure = infrastructure;
  }

  async start(): Promise<void> {
    const [natsUrl, redisUrl] = await Promise.all([this.#startNats(), this.#startRedis()]);
    const receiverUrl = await this.receivers.start();
    this.#dir = await mkdtemp(join(tmpdir(), "carehub-chaos-"));
    this.registryPath = join(this.#dir, "endpoints.json");
    await writeFile(this.registryPath, JSON.stringify(pipelineRegistry(receiverUrl, "carehub (chaos)")));
    const port = await freePort();
    this.gatewayUrl = `http://127.0.0.1:${port}`;
    this.env = {
      PATH: process.env.PATH,
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      ...(this.sentinel === undefined
        ? {}
        : {
            CAREHUB_REDIS_SENTINELS: this.sentinel.sentinelsSetting,
            CAREHUB_REDIS_SENTINEL_NAME: this.sentinel.name,
          }),
      ...(this.cluster === undefined ? {} : { CAREHUB_STREAM_REPLICAS: "3" }),
      CAREHUB_NAMESPACE: this.namespace,
      CAREHUB_REGISTRY: this.registryPath,
      CAREHUB_HTTP_PORT: String(port),
      CAREHUB_PATIENT_HASH_KEY: CHAOS_PATIENT_HASH_KEY,
      CAREHUB_MAX_INFLIGHT_REQUESTS: String(CHAOS_MAX_INFLIGHT_REQUESTS),
      // The other load bounds are the product's defaults; set in the driver's environment to try others.
      CAREHUB_MAX_EVENT_LOOP_LAG_MS: String(parseHubConfig({}).maxEventLoopLagMs),
      ...pick(process.env, ["CAREHUB_MAX_CONNECTIONS", "CAREHUB_MAX_EVENT_LOOP_LAG_MS"]),
      // To try the services' memory with other node flags (CHAOS_NODE_OPTIONS becomes their NODE_OPTIONS, which
      // wins over the hub's own, docs/decisions/0076) or glibc's MALLOC_ARENA_MAX; the driver keeps its own.
      ...(process.env.CHAOS_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.CHAOS_NODE_OPTIONS }),
      ...pick(process.env, ["MALLOC_ARENA_MAX"]),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
      // Retries within seconds, so a scenario's backlog drains within the run.
      CAREHUB_DISPATCH_BACKOFF_INITIAL_MS: "200",
      CAREHUB_DISPATCH_BACKOFF_MAX_MS: "2000",
      // An endpoint back up is probed after 5 s rather than the default 30 s.
      CAREHUB_CIRCUIT_COOLDOWN_MS: "5000",
    };
    this.bus = await connectBus({
      servers: natsUrl.split(","),
      name: `chaos-${this.namespace}`,
      namespace: this.namespace,
    });
    await this.#provision();
    this.redis =
      this.sentinel === undefined
        ? new Redis(redisUrl)
        : new Redis({ sentinels: [...this.sentinel.sentinels], name: this.sentinel.name, failoverDetector: true });
    // The suite stops Redis on purpose; commands wait for the reconnection, the error events are expected.
    this.redis.on("error", () => undefined);
    await Promise.all(HUB_SERVICES.map((service) => this.addCopy(service)));
  }

  /** Starts one more copy of a service and waits until it runs. */
  async addCopy(service: HubService): Promise<ServiceProcess> {
    const copy = new ServiceProcess(service, this.env);
    const list = this.copies.get(service) ?? [];
    list.push(copy);
    this.copies.set(service, list);
    await this.#launch(copy);
    return copy;
  }

  /** Stops (SIGTERM, draining) every copy of a worker but the first. */
  async removeExtraCopies(worker: HubWorker): Promise<void> {
    const list = this.copies.get(worker) ?? [];
    for (const copy of list.splice(1)) await this.stopCopy(copy, "SIGTERM");
  }

  /** Ends a copy (its duplicate count is read first, while it can still answer) without starting it again. */
  async stopCopy(copy: ServiceProcess, signal: NodeJS.Signals): Promise<void> {
    if (copy.name === "dispatcher") this.#banked += await this.#possibleDuplicates(copy);
    this.#opsUrls.delete(copy);
    await copy.kill(signal);
  }

  /** SIGKILL, then the same process started again (a supervisor's restart). */
  async killAndRestart(copy: ServiceProcess): Promise<void> {
    await this.stopCopy(copy, "SIGKILL");
    await this.#launch(copy);
  }

  /** carehub_delivery_possible_duplicates_total over every dispatcher process of the run, dead or alive. */
  async possibleDuplicates(): Promise<number> {
    let live = 0;
    for (const copy of this.copies.get("dispatcher") ?? []) live += await this.#possibleDuplicates(copy);
    return this.#banked + live;
  }

  /** The gateway process (its pid for RSS). */
  get gateway(): ServiceProcess {
    const gateway = this.copies.get("gateway")?.[0];
    if (gateway === undefined) throw new Error("no gateway process");
    return gateway;
  }

  /** A running copy's ops port (`/healthz`, `/readyz`, `/metrics`). */
  opsUrlOf(copy: ServiceProcess): string {
    const url = this.#opsUrls.get(copy);
    if (url === undefined) throw new Error(`${copy.name} is not running`);
    return url;
  }

  /** The last lines of every process, for a failure's report. */
  outputs(): string {
    return [...this.copies.values()]
      .flat()
      .map((copy) => `--- ${copy.name} (pid ${copy.pid})\n${copy.output}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    for (const copy of [...this.copies.values()].flat()) {
      copy.signal("SIGCONT");
      await copy.kill("SIGTERM");
    }
    await this.receivers.close();
    await this.bus?.drain().catch(() => undefined);
    this.redis?.disconnect();
    await Promise.all([
      this.cluster === undefined ? this.nats?.stop() : this.cluster.stop(),
      this.sentinel === undefined ? this.redisServer?.stop() : this.sentinel.stop(),
    ]);
    if (this.#dir !== "") await rm(this.#dir, { recursive: true, force: true });
  }

  /** Starts the NATS side; resolves with NATS_URL (every node of a cluster, comma-separated). */
  async #startNats(): Promise<string> {
    if (this.infrastructure !== "nats-cluster") {
      this.nats = await startNatsServer();
      return this.nats.url;
    }
    this.cluster = await startNatsCluster(3);
    this.nats = this.cluster.servers[0] as NatsServerHandle;
    return this.cluster.urls.join(",");
  }

  /** Starts the Redis side; resolves with REDIS_URL (behind sentinels: the first primary, whose address the services ignore). */
  async #startRedis(): Promise<string> {
    if (this.infrastructure !== "redis-sentinel") {
      this.redisServer = await startRedisServer({ appendonly: true });
      return this.redisServer.url;
    }
    this.sentinel = await startRedisSentinel();
    this.redisServer = await this.sentinel.primary();
    return this.redisServer.url;
  }

  /** Provisions the streams; a cluster whose meta leader was just elected may refuse to place them for a moment. */
  async #provision(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        // Every stream in 3 copies on the cluster, as the services' CAREHUB_STREAM_REPLICAS says.
        await this.bus.provision(this.cluster === undefined ? {} : { replicas: 3 });
        return;
      } catch (error) {
        if (this.cluster === undefined || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async #launch(copy: ServiceProcess): Promise<void> {
    copy.start();
    // Several processes start at once on a busy 2-core machine: that can take a minute.
    const { opsUrl } = await copy.running(120_000);
    this.#opsUrls.set(copy, opsUrl);
  }

  async #possibleDuplicates(copy: ServiceProcess): Promise<number> {
    const opsUrl = this.#opsUrls.get(copy);
    if (opsUrl === undefined || !copy.alive) return 0;
    const text = await (await fetch(`${opsUrl}/metrics`)).text();
    let sum = 0;
    for (const [, value] of text.matchAll(POSSIBLE_DUPLICATES)) sum += Number(value);
    return sum;
  }
}

/** The named variables that are set in `env`. */
function pick(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
}
