import type { Redis } from "ioredis";

/**
 * Keeps a long-lived Redis client connected until its owner closes it. ioredis (5.11.1) ends a client for good —
 * status "end", every later command "Connection is closed." — when a connection attempt is cut short from inside
 * the client: with Sentinel, the failover detector's `+switch-master` disconnects a connect that is still asking
 * the sentinels for the primary, `Redis.connect` sees its connector reject and sets "end", and nothing reconnects.
 * Seen once in CI (docs/reliability.md, "Redis with Sentinel"): a hub whose gateway answered 503 for 30 s after the
 * second failover while the promoted primary was up. Only the owner's own `quit()` or `disconnect()` may end the
 * client: any other end is followed by a new connection attempt after `delayMs` (`onReconnect` is told, to log it).
 */
export function keepRedisConnected(redis: Redis, onReconnect: () => void, delayMs = 100): void {
  let closing = false;
  const quit = redis.quit.bind(redis);
  const disconnect = redis.disconnect.bind(redis);
  redis.quit = ((...args: Parameters<Redis["quit"]>) => {
    closing = true;
    return quit(...args);
  }) as Redis["quit"];
  // ioredis itself calls disconnect(true) to reconnect: only a disconnect without reconnecting is the owner closing.
  redis.disconnect = (reconnect?: boolean) => {
    if (reconnect !== true) closing = true;
    disconnect(reconnect);
  };
  redis.on("end", () => {
    if (closing) return;
    onReconnect();
    setTimeout(() => {
      if (!closing && redis.status === "end") redis.connect().catch(() => undefined);
    }, delayMs).unref();
  });
}
