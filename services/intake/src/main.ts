// Runs intake alone: `node services/intake/src/main.ts` (or `pnpm carehub start intake`).
import { connectHubBus, onShutdown } from "@carehub/bus";
import { collectProcessMetrics, createLogger, startTracing } from "@carehub/observability";
import { watchRegistry } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { Redis } from "ioredis";
import { startIntake } from "./start-intake.ts";

const config = parseHubConfig(process.env);
const logger = createLogger({ name: "intake", level: config.logLevel });
collectProcessMetrics();
startTracing({ serviceName: "carehub-intake" });
const bus = await connectHubBus(config, { name: "carehub-intake", logger });
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 5_000 });
const registry = await watchRegistry(config.registryPath, {
  onChange: (next) => logger.info({ version: next.version }, "endpoint registry reloaded"),
  onError: (error) =>
    logger.error({ problems: error.problems }, "endpoint registry change refused; keeping the previous one"),
});
const intake = await startIntake({ bus, redis, registry, retentionDays: config.retentionDays, logger });

onShutdown(["SIGTERM", "SIGINT"], async () => {
  await intake.stop();
  registry.close();
  await bus.drain();
  await redis.quit().catch(() => redis.disconnect());
});
