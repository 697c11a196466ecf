import { type Bus, connectHubBus, startStreamMetrics } from "@carehub/bus";
import {
  collectProcessMetrics,
  createLogger,
  type Logger,
  type MetricsServer,
  serveMetrics,
  startTracing,
} from "@carehub/observability";
import { EndpointRegistry, type RegistrySource, type RegistryWatcher, watchRegistry } from "@carehub/registry";
import type { HubConfig, RegistryConfig, RegistryConfigInput } from "@carehub/schemas";
import { createStore } from "@carehub/store";
import { Redis } from "ioredis";
import {
  isServiceName,
  loadStarter,
  type RunningService,
  SERVICE_NAMES,
  type ServiceDeps,
  type ServiceName,
} from "./service-catalogue.ts";

export interface StartHubOptions {
  config: HubConfig;
  /**
   * A fixed registry (snapshot or configuration). Without it the hub reads `config.registryPath` and
   * reloads it whenever the file changes.
   */
  registry?: EndpointRegistry | RegistryConfig | RegistryConfigInput;
  /** Which services to run (default: all). */
  services?: readonly string[];
  logger?: Logger;
  /**
   * Register the W3C trace propagation and a tracer provider (default true), so every hop carries
   * `traceparent`. Pass false when the caller set up tracing itself (e.g. a test with an in-memory exporter).
   */
  tracing?: boolean;
}

export interface RunningHub {
  config: HubConfig;
  /** The gateway's base URL; undefined when the gateway is not among the services. */
  url: string | undefined;
  /** The metrics listener's base URL (`CAREHUB_METRICS_PORT`); undefined when none is configured. */
  metricsUrl: string | undefined;
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  /** The services that are running (those not yet built are skipped with a log line). */
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
  // Bounded waits: a Redis outage becomes a retryable error (503 / nak), never a request that hangs.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 5_000 });
  redis.on("error", (error) => logger.warn({ err: error }, "Redis connection trouble"));
  return { bus, redis };
}

/**
 * Runs carehub's services in this process against NATS and Redis: the composition root behind
 * `carehub start`, the demo and the end-to-end tests.
 */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ name: "carehub", level: config.logLevel });
  const wanted = resolveServices(options.services);
  if (options.tracing !== false) {
    // Spans go to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/runbook.md, Traces).
    const only = wanted.size === 1 ? [...wanted][0] : undefined;
    startTracing({
      serviceName: process.env.OTEL_SERVICE_NAME ?? (only === undefined ? "carehub" : `carehub-${only}`),
    });
  }
  const registry = await openRegistry(options, logger);
  const { bus, redis } = await openConnections(config, logger);
  const store = createStore({
    redis,
    namespace: config.namespace,
    retentionDays: config.retentionDays,
    patientHashKey: config.patientHashKey,
    ackTimeoutMs: (endpoint) => {
      const seconds = registry.current().byId(endpoint)?.ackTimeoutSeconds;
      return seconds === undefined ? undefined : seconds * 1000;
    },
  });
  // How much each stream (the DLQ above all) holds, for `/metrics`; stopped before the bus drains.
  const streamMetrics = startStreamMetrics(bus, { logger });
  const running: Array<{ name: ServiceName; service: RunningService }> = [];
  let metricsServer: MetricsServer | undefined;
  const closeAll = async () => {
    await metricsServer?.close();
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
  };
  try {
    for (const name of SERVICE_NAMES.filter((n) => wanted.has(n))) {
      const start = await loadStarter(name);
      if (start === undefined) {
        logger.warn({ service: name }, `service ${name} is not built yet: skipped`);
        continue;
      }
      const deps: ServiceDeps = {
        config,
        bus,
        redis,
        registry,
        store,
        logger: logger.child({ service: name }),
        retentionDays: config.retentionDays,
      };
      running.push({ name, service: await start(deps) });
    }
    collectProcessMetrics();
    if (config.metricsPort !== undefined) {
      metricsServer = await serveMetrics({ host: config.httpHost, port: config.metricsPort });
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    config,
    url: running.find((r) => r.name === "gateway")?.service.url,
    metricsUrl: metricsServer?.url,
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

function resolveServices(requested: readonly string[] | undefined): Set<ServiceName> {
  if (requested === undefined) return new Set(SERVICE_NAMES);
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
