/**
 * Counts the commands clients send to Redis (MONITOR), leaving out what scripts run inside Redis: INFO
 * commandstats counts both, so a Lua script that does ten writes looks like ten round trips there. Opt-in
 * (`--redis-requests`): MONITOR costs redis-server CPU, so runs that use it are not for redis-server figures.
 * Commands of a pipeline or MULTI each count (one socket write can carry several).
 */
import { Redis } from "ioredis";

const END_MARK = "carehub-bench-redis-requests-end";
const IGNORED = new Set(["info", "dbsize", "monitor", "echo"]);

export interface RedisRequestCount {
  stop(): Promise<Record<string, number>>;
}

export async function countRedisRequests(url: string): Promise<RedisRequestCount> {
  const connection = new Redis(url, { lazyConnect: true });
  await connection.connect();
  const monitor = await connection.monitor();
  const counts: Record<string, number> = {};
  let ended: (() => void) | undefined;
  const endSeen = new Promise<void>((resolve) => {
    ended = resolve;
  });
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const name = String(args[0] ?? "").toLowerCase();
    if (name === "echo" && args[1] === END_MARK) ended?.();
    if (source === "lua" || IGNORED.has(name)) return;
    counts[name] = (counts[name] ?? 0) + 1;
  });
  return {
    async stop() {
      // Everything sent before the mark has been seen once the mark is.
      const probe = new Redis(url);
      await probe.echo(END_MARK);
      await endSeen;
      await probe.quit();
      monitor.disconnect();
      connection.disconnect();
      return counts;
    },
  };
}
