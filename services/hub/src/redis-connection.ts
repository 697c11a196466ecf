import type { Writable } from "node:stream";
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
  // ioredis makes a new socket on every (re)connect; "connect" is emitted for each.
  redis.on("connect", () => coalesceWrites(redis.stream));
  // The error's code only: its message may carry a server address or credentials from REDIS_URL.
  redis.on("error", (error: NodeJS.ErrnoException) =>
    logger.warn({ reason: error.code ?? error.name }, "Redis connection trouble"),
  );
  return redis;
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

const coalesced = new WeakSet<Writable>();

/**
 * Commands written to the socket in one turn of the event loop leave in one `writev` instead of one write (and
 * one syscall) each: the socket is corked at the first write of a turn and uncorked in `setImmediate`. ioredis
 * writes every command on its own as it is issued; with the hub's handlers running side by side (intake's lanes,
 * the router's window, the dispatcher's deliveries, the tracker's batches) a turn holds several, and one write per
 * command was the hub's largest single CPU cost (docs/performance.md, "Coalesced socket writes"). Order, replies
 * and errors stay per command; only when the bytes leave changes (at the end of the turn, not mid-turn).
 * ioredis' own `enableAutoPipelining` does the batching one level up but crashes the process on a script reply
 * (`results[i] is not iterable`, ioredis 5.11.1, seen in the e2e bench), so it stays off.
 */
export function coalesceWrites(socket: Writable): void {
  if (coalesced.has(socket)) return;
  coalesced.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Writable, ...args: Parameters<Writable["write"]>) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Writable["write"];
}
