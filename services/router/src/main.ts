// Runs the router alone: `node services/router/src/main.ts`. Wiring only.
import { connectHubBus, onShutdown } from "@carehub/bus";
import { collectProcessMetrics, createLogger } from "@carehub/observability";
import { watchRegistry } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { Redis } from "ioredis";
import { startRouter } from "./start-router.ts";

const config = parseHubConfig(process.env);
const logger = createLogger({ name: "router", level: config.logLevel });
collectProcessMetrics();
const bus = await connectHubBus(config, { name: "carehub-router", logger });
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 5_000 });
const registry = await watchRegistry(config.registryPath, {
  onChange: (next) => logger.info({ version: next.version }, "endpoint registry reloaded"),
  onError: (error) =>
    logger.error({ problems: error.problems }, "endpoint registry change refused; keeping the previous one"),
});
const router = await startRouter({ bus, redis, registry, retentionDays: config.retentionDays, logger });

onShutdown(["SIGTERM", "SIGINT"], async () => {
  await router.stop();
  registry.close();
  await bus.drain();
  redis.disconnect();
});
