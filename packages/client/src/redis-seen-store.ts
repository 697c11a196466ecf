import type { SeenRecord, SeenStore } from "./seen-store.ts";

/**
 * The two Redis commands the store needs. An ioredis client fits as it is (so does node-redis through a small
 * adapter); the SDK does not depend on a Redis library itself.
 */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, expiry: "EX", seconds: number): Promise<unknown>;
}

export interface RedisSeenStoreOptions {
  redis: RedisCommands;
  /** Key prefix, one per receiving system (several systems can share a Redis). Default `carehub-seen`. */
  prefix?: string;
  /**
   * How long a message is remembered. MedCom senders resend after 30 minutes, at most twice, and the hub keeps
   * its own duplicates apart for longer; the default, 30 days, also covers a copy re-driven from a dead letter.
   */
  ttlSeconds?: number;
}

export const DEFAULT_SEEN_TTL_SECONDS = 30 * 86_400;

/**
 * A durable seen-store in Redis: a receiver that restarts still answers a copy of a message it handled before
 * with the very same acknowledgement, instead of handing it to the application a second time. Keys hold only
 * the sender and message ids (never message content), each with a TTL.
 */
export function createRedisSeenStore(options: RedisSeenStoreOptions): SeenStore {
  const prefix = options.prefix ?? "carehub-seen";
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_SEEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`createRedisSeenStore: ttlSeconds must be a whole number >= 1, not ${ttlSeconds}`);
  }
  // Keys are `<prefix>:<sender>\u0000<message id>`; the NUL separator keeps "a"+"bc" and "ab"+"c" apart.
  const keyOf = (key: string) => `${prefix}:${key}`;
  return {
    async get(key) {
      const text = await options.redis.get(keyOf(key));
      return text === null ? undefined : (JSON.parse(text) as SeenRecord);
    },
    async set(key, record) {
      await options.redis.set(keyOf(key), JSON.stringify(record), "EX", ttlSeconds);
    },
  };
}
