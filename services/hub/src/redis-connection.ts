import { coalesceRedisWrites, keepRedisConnected } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { HubConfig } from "@carehub/schemas";
import { Redis, type RedisOptions } from "ioredis";

/**
 * Bounded waits: a Redis outage or failover becomes a retryable error (503 / nak), never a request that hangs.
 * Two retries per command ride out a reconnect to the same server or to a newly promoted primary.
 */
const COMMAND_LIMITS = { maxRetriesPerRequest: 2, commandTimeout: 5_000 } satisfies RedisOptions;

/**
 * The one place a hub process builds its Redis client, whichever services it runs: `REDIS_URL` for one server,
 * or the sentinels of CAREHUB_REDIS_SENTINELS, which name the current primary of CAREHUB_REDIS_SENTINEL_NAME and
 * are asked again on every reconnect, so the client follows a failover (docs/operations.md, "Redis Sentinel").
 */
export function createRedisClient(config: HubConfig, logger: Logger): Redis {
  const redis =
    config.redisSentinels.length === 0
      ? new Redis(config.redisUrl, COMMAND_LIMITS)
      : new Redis({ ...COMMAND_LIMITS, ...sentinelOptions(config) });
  // The error's code only: its message may carry a server address or credentials from REDIS_URL.
  redis.on("error", (error: NodeJS.ErrnoException) =>
    logger.warn({ reason: error.code ?? error.name }, "Redis connection trouble"),
  );
  // Never ended by ioredis itself, only by the process closing it (a connect cut short during a failover).
  keepRedisConnected(redis, () => logger.warn("Redis client ended without being closed; connecting again"));
  // What the client writes in one event-loop turn leaves in one socket write (docs/decisions/0098, 0116).
  return coalesceRedisWrites(redis);
}

function sentinelOptions(config: HubConfig): RedisOptions {
  // REDIS_URL still carries the primary's credentials and database; its host and port are the sentinels' to say.
  const url = new URL(config.redisUrl);
  const db = Number(url.pathname.replace(/^\//, "") || "0");
  return {
    sentinels: config.redisSentinels.map(({ host, port }) => ({ host, port })),
    name: config.redisSentinelName,
    role: "master",
    ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    // Sentinels tell of a promotion (+switch-master) at once, rather than the client learning it from a dead socket.
    failoverDetector: true,
    // A demoted primary answers writes with READONLY until the sentinels reconfigure it: reconnect (and ask the
    // sentinels again) and resend the command instead of failing it.
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
  };
}
