import { connectHubBus, onShutdown } from "@carehub/bus";
import { createLogger } from "@carehub/observability";
import { watchRegistry } from "@carehub/registry";
import { parseHubConfig } from "@carehub/schemas";
import { Redis } from "ioredis";
import { startTracker } from "./start-tracker.ts";
import { parseTrackerOptions } from "./tracker-options.ts";

// Wiring only: configuration, connections, start, drain on SIGTERM.
const config = parseHubConfig(process.env);
const options = parseTrackerOptions(process.env);
const logger = createLogger({ name: "tracker", level: config.logLevel });
const registry = await watchRegistry(config.registryPath, {
  onError: (error) => logger.error({ code: error.code }, error.message),
});
const bus = await connectHubBus(config, { name: `carehub-tracker-${process.pid}`, logger });
const redis = new Redis(config.redisUrl, { lazyConnect: false });
// ioredis reconnects by itself; without a listener it would print every connection error to stderr.
redis.on("error", (error) => logger.warn({ err: error }, "Redis connection error"));
const tracker = await startTracker({ bus, redis, registry, config, options, logger });

onShutdown(["SIGTERM", "SIGINT"], async () => {
  await tracker.stop();
  await bus.drain();
  registry.close();
  await redis.quit();
});
