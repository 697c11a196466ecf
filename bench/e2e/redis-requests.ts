/**
 * Counts the commands clients send to Redis (MONITOR), leaving out what scripts run inside Redis: INFO
 * commandstats counts both, so a Lua script that does ten writes looks like ten round trips there. Opt-in
 * (`--redis-requests`): MONITOR costs redis-server CPU, so runs that use it are not for redis-server figures.
 * Commands of a pipeline or MULTI each count (one socket write can carry several). With each count, the bytes those
 * commands took on the wire as RESP (their arguments as MONITOR shows them), a script call counted under its SHA-1's
 * first 8 characters: where the bytes a hub sends Redis per message come from.
 */
import { Redis } from "ioredis";

const END_MARK = "carehub-bench-redis-requests-end";
const IGNORED = new Set(["info", "dbsize", "monitor", "echo"]);

export interface RedisRequests {
  /** Commands by name. */
  counts: Record<string, number>;
  /** Their bytes on the wire by name, a script call's as `evalsha <sha…>`. */
  bytes: Record<string, number>;
}

export interface RedisRequestCount {
  stop(): Promise<RedisRequests>;
}

/** A command's size as RESP: `*<n>` then `$<length>` and the bytes of each argument, each line ending in CRLF. */
export function respBytes(args: readonly string[]): number {
  let bytes = `*${args.length}\r\n`.length;
  for (const arg of args) {
    const length = Buffer.byteLength(arg);
    bytes += `$${length}\r\n`.length + length + 2;
  }
  return bytes;
}

export async function countRedisRequests(url: string): Promise<RedisRequestCount> {
  const connection = new Redis(url, { lazyConnect: true });
  await connection.connect();
  const monitor = await connection.monitor();
  const counts: Record<string, number> = {};
  const bytes: Record<string, number> = {};
  let ended: (() => void) | undefined;
  const endSeen = new Promise<void>((resolve) => {
    ended = resolve;
  });
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const name = String(args[0] ?? "").toLowerCase();
    if (name === "echo" && args[1] === END_MARK) ended?.();
    if (source === "lua" || IGNORED.has(name)) return;
    counts[name] = (counts[name] ?? 0) + 1;
    const script = name === "evalsha" || name === "eval" ? ` ${String(args[1]).slice(0, 8)}` : "";
    bytes[`${name}${script}`] = (bytes[`${name}${script}`] ?? 0) + respBytes(args.map(String));
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
      return { counts, bytes };
    },
  };
}
