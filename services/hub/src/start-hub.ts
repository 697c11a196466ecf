import { type Bus, connectHubBus, startStreamMetrics } from "@carehub/bus";
import { checkReadiness, collectProcessMetrics, createLogger, type Logger, startTracing } from "@carehub/observability";
import { EndpointRegistry, type RegistrySource, type RegistryWatcher, watchRegistry } from "@carehub/registry";
import type { HubConfig, RegistryConfig, RegistryConfigInput } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import type { Redis } from "ioredis";
import { type OpsServer, startOpsServer } from "./ops-server.ts";
import { createRedisClient } from "./redis-connection.ts";
import {
  isServiceName,
  type RunningService,
  SERVICE_NAMES,
  SERVICE_STARTERS,
  type ServiceName,
} from "./service-catalogue.ts";
import { parseServiceSettings, type ServiceSettings } from "./service-settings.ts";
import { type Dependency, openConnectionsPatiently } from "./wait-for-connections.ts";

export interface StartHubOptions {
  config: HubConfig;
  /**
   * A fixed registry (snapshot or configuration). Without it the hub reads `config.registryPath` and
   * reloads it whenever the file changes.
   */
  registry?: EndpointRegistry | RegistryConfig | RegistryConfigInput;
  /**
   * Which services to run. Default: every message-handling service, without the console (tests, benches and
   * embedders get no extra web server); `carehub start --all` names it.
   */
  services?: readonly string[];
  logger?: Logger;
  /**
   * Register the W3C trace propagation and a tracer provider (default true), so every hop carries
   * `traceparent`. Pass false when the caller set up tracing itself (e.g. a test with an in-memory exporter).
   */
  tracing?: boolean;
  /** Every service's own settings (default: each service's defaults). `carehub start` reads them from the environment. */
  settings?: ServiceSettings;
  /**
   * Serve `/healthz`, `/readyz` and `/metrics` on `config.opsPort` (default false). Every `carehub start`
   * process does; tests and the demo that run several hubs in one process leave it off.
   */
  opsServer?: boolean;
  /**
   * With `opsServer`: the ops listener's thread gives back its start-up memory once it listens (start-up-memory.ts,
   * default false). `carehub start` alone asks (run-cli.ts): the collection sets V8's flags, which are the
   * process's, so a process that may start another hub beside it (tests, benches, the demo) must not.
   */
  releaseStartUpMemory?: boolean;
  /**
   * Wait for NATS and Redis with backoff when they are unreachable (bounded by `config.startTimeoutMs`) instead
   * of failing at once (default false; `carehub start` does). Aborting `signal` ends the wait.
   */
  waitForConnections?: boolean;
  signal?: AbortSignal;
}

export interface RunningHub {
  config: HubConfig;
  /** The gateway's base URL; undefined when the gateway is not among the services. */
  url: string | undefined;
  /** The console's base URL; undefined when the console is not among the services. */
  consoleUrl: string | undefined;
  /** Where `/healthz`, `/readyz` and `/metrics` are served, when `opsServer` was asked for. */
  opsUrl: string | undefined;
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** The services that are running. */
  services: ServiceName[];
  /** Stops the services (gateway first), then closes the registry watch, NATS and Redis. Idempotent. */
  stop(): Promise<void>;
}

/** Connects to NATS (provisioning the streams, idempotently) and Redis. */
export async function openConnections(
  config: HubConfig,
  logger: Logger,
  name = "carehub",
): Promise<{ bus: Bus; redis: Redis }> {
  const bus = await connectHubBus(config, { name, logger });
  return { bus, redis: createRedisClient(config, logger) };
}

/**
 * Runs carehub's services in this process against NATS and Redis: the composition root behind
 * `carehub start`, the demo and the end-to-end tests.
 */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ name: "carehub", level: config.logLevel });
  const wanted = resolveServices(options.services);
  const settings = options.settings ?? parseServiceSettings({}, config);
  // carehub_process_* / carehub_nodejs_* on /metrics, in every process (docs/runbook.md, Metrics).
  collectProcessMetrics();
  let tracing: ReturnType<typeof startTracing> | undefined;
  if (options.tracing !== false) {
    // Spans go to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/runbook.md, Traces).
    const only = wanted.size === 1 ? [...wanted][0] : undefined;
    tracing = startTracing({
      serviceName: process.env.OTEL_SERVICE_NAME ?? (only === undefined ? "carehub" : `carehub-${only}`),
    });
  }
  const registry = await openRegistry(options, logger);
  let connections: { bus: Bus; redis: Redis } | undefined;
  let waitingFor: Dependency | undefined = "nats";
  let servicesStarted = false;
  let ops: OpsServer | undefined;
  if (options.opsServer === true) {
    // Up before the connections: a process waiting for NATS or Redis is alive (/healthz) and says why it is not ready.
    ops = await startOpsServer({
      host: config.httpHost,
      port: config.opsPort,
      releaseStartUpMemory: options.releaseStartUpMemory === true,
      readiness: async () => {
        if (connections === undefined || !servicesStarted) return notReadyWhileWaiting(waitingFor);
        const { bus, redis } = connections;
        return checkReadiness({ nats: () => bus.nc.rtt(), redis: () => redis.ping() });
      },
    });
    // Which file its thread runs: the start bundle's built listener or the source (docs/decisions/0121).
    logger.info({ url: ops.url, listener: ops.listenerFile }, "ops port listening");
  }
  try {
    connections =
      options.waitForConnections === true
        ? await openConnectionsPatiently(config, logger, {
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            onWaiting: (dependency) => {
              waitingFor = dependency;
            },
          })
        : await openConnections(config, logger);
  } catch (error) {
    await ops?.close();
    if ("close" in registry) (registry as RegistryWatcher).close();
    throw error;
  }
  const { bus, redis } = connections;
  const store = createStore({
    redis,
    namespace: config.namespace,
    retentionDays: config.retentionDays,
    patientHashKey: config.patientHashKey,
    ackTimeoutMs: (endpoint, kind) => registry.current().acknowledgementTimeoutMs(endpoint, kind),
  });
  // How much each stream (the DLQ above all) holds, for `/metrics`; stopped before the bus drains.
  const streamMetrics = startStreamMetrics(bus, { logger });
  const running: Array<{ name: ServiceName; service: RunningService }> = [];
  const closeAll = async () => {
    await ops?.close();
    for (const { name, service } of [...running].reverse()) {
      await service
        .stop()
        .catch((error: unknown) => logger.error({ err: error, service: name }, "service did not stop cleanly"));
    }
    if ("close" in registry) (registry as RegistryWatcher).close();
    await streamMetrics.stop();
    await bus.drain();
    // QUIT lets replies still on the wire arrive; disconnect only when Redis is gone anyway.
    await redis.quit().catch(() => redis.disconnect());
    // Sends the spans still batched; the global registration stays (another hub in this process may use it).
    await tracing?.provider.shutdown().catch(() => undefined);
  };
  try {
    for (const name of SERVICE_NAMES.filter((n) => wanted.has(n))) {
      const service = await SERVICE_STARTERS[name]({
        config,
        bus,
        redis,
        registry,
        store,
        logger: logger.child({ service: name }),
        retentionDays: config.retentionDays,
        settings,
      });
      running.push({ name, service });
    }
    servicesStarted = true;
  } catch (error) {
    await closeAll();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    config,
    url: running.find((r) => r.name === "gateway")?.service.url,
    consoleUrl: running.find((r) => r.name === "console")?.service.url,
    opsUrl: ops?.url,
    bus,
    redis,
    registry,
    services: running.map((r) => r.name),
    stop: () => {
      stopping ??= closeAll();
      return stopping;
    },
  };
}

/**
 * `/readyz` while the process starts: 503, naming what it waits for — NATS, then Redis (what is not reached yet
 * counts as unavailable), then its own services.
 */
function notReadyWhileWaiting(waitingFor: Dependency | undefined) {
  const checks = {
    nats: waitingFor === "nats" ? "unavailable" : "ok",
    redis: waitingFor === undefined ? "ok" : "unavailable",
  };
  return { ready: false, body: { status: "starting", waitingFor: waitingFor ?? "services", checks } };
}

function resolveServices(requested: readonly string[] | undefined): Set<ServiceName> {
  if (requested === undefined) return new Set(SERVICE_NAMES.filter((name) => name !== "console"));
  const unknown = requested.filter((name) => !isServiceName(name));
  if (unknown.length > 0)
    throw new Error(`unknown service(s): ${unknown.join(", ")} (known: ${SERVICE_NAMES.join(", ")})`);
  return new Set(requested.filter(isServiceName));
}

async function openRegistry(options: StartHubOptions, logger: Logger): Promise<RegistrySource> {
  if (options.registry instanceof EndpointRegistry) return options.registry;
  if (options.registry !== undefined) return EndpointRegistry.from(options.registry, "startHub options");
  return watchRegistry(options.config.registryPath, {
    onChange: (next) => logger.info({ version: next.version }, "endpoint registry reloaded"),
    onError: (error) =>
      logger.error({ problems: error.problems }, "endpoint registry change refused; keeping the previous one"),
  });
}
