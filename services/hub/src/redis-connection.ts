import { coalesceRedisWrites, keepRedisConnected } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { HubConfig } from "@carehub/schemas";
import { Redis, type RedisOptions, type SentinelConnectionOptions, SentinelConnector } from "ioredis";

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

/** How long one sentinel may take to connect and answer while the client looks for the primary. */
const SENTINEL_ASK_MS = 1_000;

interface SentinelView {
  host: string;
  port: number;
  /** The epoch of the configuration this sentinel knows: each failover raises it. */
  epoch: number;
}

/**
 * What one sentinel says of the primary `name`: the address it gives clients (GET-MASTER-ADDR-BY-NAME) and the
 * configuration epoch it knows (SENTINEL MASTER's `config-epoch`); undefined when it does not answer in time or does not
 * know the name. Not SENTINEL MASTER's address: while the sentinel that led a failover finishes it, that record still
 * holds the old primary's address under the new epoch, where GET-MASTER-ADDR-BY-NAME already names the promoted one
 * (a clean-clone CI run of 2026-12-07 connected to the restarted old primary through exactly that).
 */
async function askSentinel(
  sentinel: { host?: string | undefined; port?: number | undefined },
  name: string,
): Promise<SentinelView | undefined> {
  const client = new Redis({
    host: sentinel.host ?? "127.0.0.1",
    port: sentinel.port ?? 26379,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: SENTINEL_ASK_MS,
    commandTimeout: SENTINEL_ASK_MS,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const [address, record] = (await Promise.all([
      client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name),
      client.call("SENTINEL", "MASTER", name),
    ])) as [unknown, unknown];
    if (!Array.isArray(address) || !Array.isArray(record)) return undefined;
    let epoch = Number.NaN;
    for (let i = 0; i + 1 < record.length; i += 2)
      if (String(record[i]) === "config-epoch") epoch = Number(record[i + 1]);
    const host = String(address[0]);
    const port = Number(address[1]);
    if (!Number.isInteger(port) || !Number.isFinite(epoch)) return undefined;
    return { host, port, epoch };
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/**
 * The primary of the newest configuration the listed sentinels know: every sentinel is asked, the highest
 * configuration epoch among the answers wins, and among the sentinels at that epoch the address most of them give
 * (the first such, on a tie). ioredis asks one sentinel at a time and connects to whatever it names. A sentinel that
 * has not yet heard of a failover names the old primary; if that server has meanwhile been started again — as a
 * primary, empty or with old data, until the sentinels turn it into a replica some 8-20 s later — the client connects
 * to it (it passes ioredis' role check) and what it writes there is thrown away when it becomes a replica. Caught by the
 * CI run of 2026-12-07 (test/redis-sentinel-failover.e2e.test.ts: two messages delivered whose records and delivery
 * state were gone); shown deterministically in redis-sentinel-connection.int.test.ts.
 */
export async function newestPrimary(
  sentinels: ReadonlyArray<{ host?: string | undefined; port?: number | undefined }>,
  name: string,
): Promise<Omit<SentinelView, "epoch"> | undefined> {
  const views = (await Promise.all(sentinels.map((sentinel) => askSentinel(sentinel, name)))).filter(
    (view): view is SentinelView => view !== undefined,
  );
  const newestEpoch = Math.max(...views.map((view) => view.epoch));
  const votes = new Map<string, { host: string; port: number; count: number }>();
  for (const view of views) {
    if (view.epoch !== newestEpoch) continue;
    const key = `${view.host}:${view.port}`;
    const entry = votes.get(key) ?? { host: view.host, port: view.port, count: 0 };
    entry.count++;
    votes.set(key, entry);
  }
  let chosen: { host: string; port: number; count: number } | undefined;
  for (const entry of votes.values()) if (chosen === undefined || entry.count > chosen.count) chosen = entry;
  return chosen === undefined ? undefined : { host: chosen.host, port: chosen.port };
}

/** ioredis' Sentinel connector, but the primary it connects to is the newest configuration's (newestPrimary). */
class NewestPrimaryConnector extends SentinelConnector {
  // ioredis constructs a connector with the client's whole options (`unknown` in its ConnectorConstructor type).
  constructor(given: unknown) {
    const options = given as SentinelConnectionOptions;
    super(options);
    // ioredis 5.11.1 resolves the primary in a private method, `resolve(endpoint)`, called once per sentinel it
    // tries; it is replaced on the instance (a changed ioredis breaks redis-connection.int.test.ts, not silently).
    const sentinels = options.sentinels ?? [];
    const name = options.name ?? "";
    Object.assign(this, {
      resolve: async () => {
        const primary = await newestPrimary(sentinels, name);
        return primary === undefined ? null : { host: primary.host, port: primary.port };
      },
    });
  }
}

function sentinelOptions(config: HubConfig): RedisOptions {
  // REDIS_URL still carries the primary's credentials and database; its host and port are the sentinels' to say.
  const url = new URL(config.redisUrl);
  const db = Number(url.pathname.replace(/^\//, "") || "0");
  return {
    sentinels: config.redisSentinels.map(({ host, port }) => ({ host, port })),
    name: config.redisSentinelName,
    Connector: NewestPrimaryConnector,
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
