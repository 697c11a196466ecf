import { connectHubBus, onShutdown } from "@carehub/bus";
import { collectProcessMetrics, createLogger } from "@carehub/observability";
import { watchRegistry } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { Redis } from "ioredis";
import { startDispatcher } from "./dispatcher.ts";
import { parseDispatcherOptions } from "./dispatcher-config.ts";

// Wiring only: configuration, connections, start, drain on SIGTERM.
const config = parseHubConfig(process.env);
const options = parseDispatcherOptions(process.env, config.retentionDays);
const logger = createLogger({ name: "dispatcher", level: config.logLevel });
collectProcessMetrics();
const registry = await watchRegistry(config.registryPath, {
  onChange: (next) => logger.info({ version: next.version }, "endpoint registry reloaded"),
  onError: (error) =>
    logger.error({ problems: error.problems }, "endpoint registry change refused; keeping the previous one"),
});
const bus = await connectHubBus(config, { name: "carehub-dispatcher", logger });
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 5_000 });
const dispatcher = await startDispatcher({ bus, redis, registry, logger, options });
logger.info({ endpoints: dispatcher.endpoints().length }, "dispatcher started");

onShutdown(["SIGTERM", "SIGINT"], async () => {
  await dispatcher.stop();
  await bus.drain();
  registry.close();
  redis.disconnect();
});
