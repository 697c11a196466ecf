import type { Redis } from "ioredis";
import { indexEntries } from "./bucketed-index.ts";
import { bucketDirectory } from "./keys.ts";

/** Rewrites one bucketed index as a release before 0097 kept it: one sorted set under its logical name. */
export async function toFormerLayout(redis: Redis, index: string): Promise<void> {
  const entries = await indexEntries(redis, index);
  const dir = bucketDirectory(index);
  const buckets = (await redis.zrange(dir, 0, -1)).map((id) => `${dir}${id}`);
  if (buckets.length > 0) await redis.del(dir, ...buckets);
  if (entries.length > 0) await redis.zadd(index, ...entries.flatMap((p) => [p.score, p.member]));
}
