import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { indexEntries } from "./bucketed-index.ts";
import { bucketDirectory } from "./keys.ts";
import { createStore, type ReadModelStore } from "./store.ts";

/** Rewrites one bucketed index as a release before 0097 kept it: one sorted set under its logical name. */
export async function toFormerLayout(redis: Redis, index: string): Promise<void> {
  const entries = await indexEntries(redis, index);
  const dir = bucketDirectory(index);
  const buckets = (await redis.zrange(dir, 0, -1)).map((id) => `${dir}${id}`);
  if (buckets.length > 0) await redis.del(dir, ...buckets);
  if (entries.length > 0) await redis.zadd(index, ...entries.flatMap((p) => [p.score, p.member]));
}

/**
 * A store in a namespace of its own (`<prefix>-<random>`), no acknowledgement timers, remembered in `stores` so the
 * test's afterAll drops its read model.
 */
export function scratchStore(
  redis: Redis,
  prefix: string,
  stores: ReadModelStore[],
  now?: () => number,
): ReadModelStore {
  const store = createStore({
    redis,
    namespace: `${prefix}-${randomUUID().slice(0, 8)}`,
    retentionDays: 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => undefined,
    ...(now === undefined ? {} : { now }),
  });
  stores.push(store);
  return store;
}

/** The hub ids a listing names, page after page (`limit` per page) until its last, in the order listed. */
export async function listEveryPage(
  store: ReadModelStore,
  query: Parameters<ReadModelStore["listMessages"]>[0],
  limit: number,
): Promise<string[]> {
  const listed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listMessages({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
    listed.push(...page.items.map((m) => m.hubId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return listed;
}
