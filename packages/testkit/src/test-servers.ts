import { fileURLToPath } from "node:url";
import { startNatsServer } from "./nats-server.ts";
import { startRedisServer } from "./redis-server.ts";

// The repository's development NATS settings (8 MB payloads, JetStream limits), so a private server accepts what
// the hub's own server would.
const NATS_CONF = fileURLToPath(new URL("../../../infra/nats/nats.conf", import.meta.url));

export interface TestServers {
  readonly natsUrl: string;
  readonly redisUrl: string;
  /** Which of the two were started here (the others were configured). */
  readonly started: Array<"nats" | "redis">;
  /** Stops the servers started here; configured ones are left alone. */
  stop(): Promise<void>;
}

/**
 * The NATS and Redis one test run shares: the configured ones when `NATS_URL` / `REDIS_URL` are set, otherwise
 * private servers on free ports. Their URLs are written into `env` (process.env by default), which every test
 * worker and every process a test spawns inherits, so no test ever assumes a port.
 */
export async function provideTestServers(env: NodeJS.ProcessEnv = process.env): Promise<TestServers> {
  const stops: Array<() => Promise<void>> = [];
  const started: Array<"nats" | "redis"> = [];
  try {
    if (!env.NATS_URL) {
      const nats = await startNatsServer({ args: ["-c", NATS_CONF] });
      stops.push(() => nats.stop());
      started.push("nats");
      env.NATS_URL = nats.url;
    }
    if (!env.REDIS_URL) {
      const redis = await startRedisServer({ args: ["--maxmemory-policy", "noeviction"] });
      stops.push(() => redis.stop());
      started.push("redis");
      env.REDIS_URL = redis.url;
    }
  } catch (error) {
    await Promise.all(stops.map((stop) => stop()));
    throw error;
  }
  return {
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    started,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
      for (const name of started) delete env[name === "nats" ? "NATS_URL" : "REDIS_URL"];
    },
  };
}
