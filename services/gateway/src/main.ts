// Runs the gateway alone: `node services/gateway/src/main.ts` (or `pnpm carehub start gateway`).
import { connectHubBus, onShutdown } from "@carehub/bus";
import { collectProcessMetrics, createLogger, startTracing } from "@carehub/observability";
import { watchRegistry } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { Redis } from "ioredis";
import { startGateway } from "./start-gateway.ts";

const config = parseHubConfig(process.env);
const logger = createLogger({ name: "gateway", level: config.logLevel });
collectProcessMetrics();
startTracing({ serviceName: "carehub-gateway" });
const bus = await connectHubBus(config, { name: "carehub-gateway", logger });
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 5_000 });
const registry = await watchRegistry(config.registryPath, {
  onChange: (next) => logger.info({ version: next.version }, "endpoint registry reloaded"),
  onError: (error) =>
    logger.error({ problems: error.problems }, "endpoint registry change refused; keeping the previous one"),
});
const gateway = await startGateway({ config, registry, bus, redis, logger });

onShutdown(["SIGTERM", "SIGINT"], async () => {
  await gateway.stop();
  registry.close();
  await bus.drain();
  await redis.quit().catch(() => redis.disconnect());
});
