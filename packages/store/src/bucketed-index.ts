import type { ChainableCommander, Redis } from "ioredis";
import { BUCKET_SEPARATOR, bucketDirectory, INDEX_BUCKET_ENTRIES } from "./keys.ts";
import { Script } from "./lua-script.ts";

/*
 * Bucketed message indexes (docs/decisions/0097-bucketed-message-indexes.md; the layout: keys.ts). A logical index
 * of listing positions (score: listing time, member: index-member.ts) is kept as buckets of at most
 * INDEX_BUCKET_ENTRIES entries. Each bucket holds the positions with score in [its directory score, the next
 * bucket's directory score): the bucket of a score is the directory's greatest score at or below it. A full
 * bucket is split before an addition, never after (Redis does not turn a skiplist back into a listpack): an entry
 * newer than all of it starts a new bucket (the append of a live hub: the full bucket stays full), one older than
 * all of it a bucket of its own below, any other splits it at the median score. A bucket that empties leaves the
 * directory. A score below every bucket lowers the lowest bucket's score.
 * The width of a bucket therefore follows the index's own rate: a minute of a national `st:acknowledged`, a month
 * of a small practice's `from:`, with no width to configure.
 *
 * The logical name's own sorted set (the layout before 0097) is read with the buckets and emptied by every
 * removal (a position is added only where it was not), never written: a hub upgraded with its read model lists and sweeps what it stored before.
 *
 * Every step runs in Lua, so a split is atomic with the write that caused it. The scripts name bucket keys they
 * derive from a declared directory key (fine on one Redis, as the hub uses; not cluster-safe, like every
 * multi-key script of the read model).
 */

/** Lua functions shared by the read model's write scripts (redis-scripts.ts) and the bulk add below. */
export const BUCKET_LUA = `
local BUCKET_MAX = ${INDEX_BUCKET_ENTRIES}
local function bucketOf(dir, score)
  return redis.call('ZRANGE', dir, score, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1)[1]
end
local function newBucket(dir, start)
  local id, suffix = start, 1
  while redis.call('ZSCORE', dir, id) do
    suffix = suffix + 1
    id = start .. '-' .. suffix
  end
  redis.call('ZADD', dir, start, id)
  return dir .. id
end
-- A full bucket is split before it would grow past BUCKET_MAX: Redis never turns a skiplist back into a listpack.
local function bucketAdd(dir, score, member)
  local id = bucketOf(dir, score)
  local lower = false
  if not id then
    -- Older than every bucket: the lowest one takes it (its score is lowered below, unless it is split).
    id = redis.call('ZRANGE', dir, 0, 0)[1]
    if not id then
      redis.call('ZADD', newBucket(dir, score), score, member)
      return
    end
    lower = true
  end
  local bucket = dir .. id
  if redis.call('ZCARD', bucket) >= BUCKET_MAX and not redis.call('ZSCORE', bucket, member) then
    local all = redis.call('ZRANGE', bucket, 0, -1, 'WITHSCORES')
    local n = #all / 2
    local function s(i) return tonumber(all[2 * i]) end
    local x = tonumber(score)
    if x > s(n) then
      -- Appended past the newest entry (a live hub): this bucket stays full, a new one starts.
      redis.call('ZADD', newBucket(dir, score), score, member)
      return
    end
    if x < s(1) then
      -- Older than the oldest entry: a bucket of its own below this one.
      redis.call('ZADD', dir, all[2], id)
      redis.call('ZADD', newBucket(dir, score), score, member)
      return
    end
    local k
    local mid = math.floor(n / 2) + 1
    for d = 0, n do
      local up, down = mid + d, mid - d
      if up <= n and s(up) > s(up - 1) then k = up break end
      if down >= 2 and s(down) > s(down - 1) then k = down break end
      if up > n and down < 2 then break end
    end
    if k then
      local start = all[2 * k]
      local args = {}
      for i = k, n do
        args[#args + 1] = all[2 * i]
        args[#args + 1] = all[2 * i - 1]
      end
      redis.call('ZREMRANGEBYSCORE', bucket, start, '+inf')
      local upper = newBucket(dir, start)
      redis.call('ZADD', upper, unpack(args))
      if x >= tonumber(start) then bucket = upper end
    end
  elseif lower then
    redis.call('ZADD', dir, score, id)
  end
  redis.call('ZADD', bucket, score, member)
end
-- A position is in its bucket or, stored before 0097, in the former key: the latter is tried only when the former
-- is not where it is.
local function bucketRemove(dir, score, member)
  local id = bucketOf(dir, score)
  if id then
    local bucket = dir .. id
    if redis.call('ZREM', bucket, member) == 1 then
      if redis.call('EXISTS', bucket) == 0 then redis.call('ZREM', dir, id) end
      return
    end
  end
  redis.call('ZREM', string.sub(dir, 1, -2), member)
end
`;

/** KEYS[1] the directory; ARGV score, member, score, member, … (bulk loads: importMessages). */
const ADD_SCRIPT = `${BUCKET_LUA}
for i = 1, #ARGV, 2 do bucketAdd(KEYS[1], ARGV[i], ARGV[i + 1]) end
return #ARGV / 2
`;

/*
 * The next `count` positions of the union of some indexes (each its buckets and its former single key) after the
 * cursor, newest first, with score in [min, max]; then, for each, whether every check index holds it.
 * KEYS: the driving indexes' directories, then the check indexes' directories (ARGV[1]: how many drive).
 * ARGV: nDriving, max ('+inf' or ms), min ('-inf' or ms), lastScore ('' none), lastMember, count.
 * Returns { flags ('1'/'0' per position), member, score, member, score, … }.
 */
const BATCH_SCRIPT = `
local nDriving, maxBound, minBound, lastScore, lastMember, count =
  tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local minNumber = tonumber(minBound) or -math.huge
local maxNumber = tonumber(maxBound) or math.huge
local lastNumber = tonumber(lastScore)
local hiBound = maxBound
if lastNumber and lastNumber < maxNumber then hiBound = lastScore end
-- Byte order, as Redis orders members of one score (Lua's '<' on strings follows the server's locale).
local function below(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
-- Appends to 'into' up to 'limit' positions { member, score, score text } of one sorted set after the cursor,
-- newest first ('same': the set may hold positions of the cursor's own score); returns how many.
local function fromKey(key, limit, same, into)
  local taken = 0
  local upper = hiBound
  if lastNumber then
    if lastNumber < minNumber then return 0 end
    if same then
      local tied = redis.call('ZRANGE', key, lastScore, lastScore, 'BYSCORE')
      for i = #tied, 1, -1 do
        if taken >= limit then return taken end
        if below(tied[i], lastMember) then
          into[#into + 1] = { tied[i], lastNumber, lastScore }
          taken = taken + 1
        end
      end
    end
    upper = '(' .. lastScore
  end
  if taken >= limit then return taken end
  local raw = redis.call('ZRANGE', key, upper, minBound, 'BYSCORE', 'REV', 'LIMIT', 0, limit - taken, 'WITHSCORES')
  for i = 1, #raw, 2 do into[#into + 1] = { raw[i], tonumber(raw[i + 1]), raw[i + 1] } end
  return taken + #raw / 2
end
local sources = {}
for d = 1, nDriving do
  local dir = KEYS[d]
  local legacy = string.sub(dir, 1, -2)
  if redis.call('EXISTS', legacy) == 1 then
    local former = {}
    fromKey(legacy, count, true, former)
    sources[#sources + 1] = former
  end
  local list = {}
  local taken, first = 0, true
  local from = hiBound
  while taken < count do
    local ids = redis.call('ZRANGE', dir, from, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 4, 'WITHSCORES')
    if #ids == 0 then break end
    local last
    for i = 1, #ids, 2 do
      -- Only the first bucket can hold the cursor's own score: the others lie below it.
      taken = taken + fromKey(dir .. ids[i], count - taken, first, list)
      first = false
      last = tonumber(ids[i + 1])
      if taken >= count or last <= minNumber then break end
    end
    if taken >= count or last <= minNumber or #ids < 8 then break end
    from = '(' .. ids[#ids]
  end
  sources[#sources + 1] = list
end
-- Merge the sources (each newest first) in listing order, cut to count.
local merged
if #sources == 1 then
  merged = sources[1]
else
  merged = {}
  local heads = {}
  for k = 1, #sources do heads[k] = 1 end
  while #merged < count do
    local best, bestEntry
    for k = 1, #sources do
      local entry = sources[k][heads[k]]
      if entry and (not bestEntry or entry[2] > bestEntry[2] or (entry[2] == bestEntry[2] and below(bestEntry[1], entry[1]))) then
        best, bestEntry = k, entry
      end
    end
    if not best then break end
    merged[#merged + 1] = bestEntry
    heads[best] = heads[best] + 1
  end
end
-- Each check index: whether its former key exists, and the bucket of the last position looked up (the positions
-- come newest first, so one bucket serves until a position falls below its lowest score).
local checks = {}
for c = nDriving + 1, #KEYS do
  local legacy = string.sub(KEYS[c], 1, -2)
  checks[#checks + 1] = { dir = KEYS[c], legacy = redis.call('EXISTS', legacy) == 1 and legacy or nil }
end
local out = { '' }
local flags = {}
for i = 1, math.min(#merged, count) do
  local member, score = merged[i][1], merged[i][2]
  local keep = true
  for _, check in ipairs(checks) do
    local present = check.legacy and redis.call('ZSCORE', check.legacy, member)
    if not present then
      if not check.start or score < check.start then
        local found = redis.call('ZRANGE', check.dir, score, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
        check.bucket = found[1] and (check.dir .. found[1]) or nil
        check.start = found[1] and tonumber(found[2]) or -math.huge
      end
      present = check.bucket and redis.call('ZSCORE', check.bucket, member)
    end
    if not present then
      keep = false
      break
    end
  end
  flags[i] = keep and '1' or '0'
  out[#out + 1] = member
  out[#out + 1] = merged[i][3]
end
out[1] = table.concat(flags)
return out
`;

/*
 * The oldest positions with score <= cutoff of each index (the sweep), up to `count` per index.
 * KEYS: directories; ARGV cutoff, count. Returns { key number, member, score, … }.
 */
const OLDEST_SCRIPT = `
local cutoff, count = ARGV[1], tonumber(ARGV[2])
local out = {}
for k = 1, #KEYS do
  local dir = KEYS[k]
  local taken = 0
  local function take(key)
    local raw = redis.call('ZRANGE', key, '-inf', cutoff, 'BYSCORE', 'LIMIT', 0, count - taken, 'WITHSCORES')
    for i = 1, #raw, 2 do
      out[#out + 1] = k
      out[#out + 1] = raw[i]
      out[#out + 1] = raw[i + 1]
    end
    taken = taken + #raw / 2
  end
  take(string.sub(dir, 1, -2))
  local from = '-inf'
  while taken < count do
    local ids = redis.call('ZRANGE', dir, from, cutoff, 'BYSCORE', 'LIMIT', 0, 16, 'WITHSCORES')
    if #ids == 0 then break end
    for i = 1, #ids, 2 do
      if taken >= count then break end
      take(dir .. ids[i])
      from = '(' .. ids[i + 1]
    end
    if #ids < 32 then break end
  end
end
return out
`;

/** KEYS: directories. Returns per index its entries (former key's plus buckets'), counted exactly up to 8 buckets. */
const SIZE_SCRIPT = `
local out = {}
for k = 1, #KEYS do
  local dir = KEYS[k]
  local n = redis.call('ZCARD', string.sub(dir, 1, -2))
  local buckets = redis.call('ZCARD', dir)
  if buckets <= 8 then
    for _, id in ipairs(redis.call('ZRANGE', dir, 0, -1)) do n = n + redis.call('ZCARD', dir .. id) end
  else
    n = n + buckets * ${Math.round((INDEX_BUCKET_ENTRIES * 3) / 4)}
  end
  out[k] = n
end
return out
`;

const add = new Script(ADD_SCRIPT);
const batch = new Script(BATCH_SCRIPT);
const oldest = new Script(OLDEST_SCRIPT);
const size = new Script(SIZE_SCRIPT);

export interface Position {
  score: number;
  member: string;
}

/** Adds positions to one bucketed index (`index`: its logical name), in one script call. */
export async function addToIndex(redis: Redis, index: string, scoresAndMembers: readonly (string | number)[]) {
  if (scoresAndMembers.length > 0) await add.run(redis, [bucketDirectory(index)], scoresAndMembers);
}

/** addToIndex queued on a pipeline (bulk loads). */
export function pipelineAddToIndex(
  pipeline: ChainableCommander,
  index: string,
  scoresAndMembers: readonly (string | number)[],
): void {
  if (scoresAndMembers.length > 0) pipeline.eval(ADD_SCRIPT, 1, bucketDirectory(index), ...scoresAndMembers);
}

function bound(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  return String(value);
}

/**
 * The next `count` positions of the union of `driving` (indexes no position is in twice) after `last`, newest
 * first, score in [min, max], each with whether every index of `checks` holds it too. One script call.
 */
export async function nextPositions(
  redis: Redis,
  driving: readonly string[],
  checks: readonly string[],
  last: Position | undefined,
  max: number,
  min: number,
  count: number,
): Promise<{ batch: Position[]; kept: boolean[] }> {
  const raw = (await batch.run(redis, [...driving, ...checks].map(bucketDirectory), [
    driving.length,
    bound(max),
    bound(min),
    last === undefined ? "" : String(last.score),
    last?.member ?? "",
    count,
  ])) as string[];
  const flags = raw[0] ?? "";
  const out: Position[] = [];
  for (let i = 1; i + 1 < raw.length; i += 2) out.push({ member: raw[i] as string, score: Number(raw[i + 1]) });
  return { batch: out, kept: out.map((_, i) => flags[i] === "1") };
}

/** Up to `count` of the oldest positions (score <= cutoff) of each index, each with the indexes found holding it. */
export async function oldestPositions(
  redis: Redis,
  indexes: readonly string[],
  cutoff: number,
  count: number,
): Promise<Array<{ index: string; score: number; member: string }>> {
  const raw = (await oldest.run(redis, indexes.map(bucketDirectory), [cutoff, count])) as (string | number)[];
  const out: Array<{ index: string; score: number; member: string }> = [];
  for (let i = 0; i + 2 < raw.length; i += 3) {
    out.push({ index: indexes[Number(raw[i]) - 1] as string, member: String(raw[i + 1]), score: Number(raw[i + 2]) });
  }
  return out;
}

/** How many entries each index holds (exact up to 8 buckets, then estimated from the bucket count). */
export async function indexSizes(redis: Redis, indexes: readonly string[]): Promise<number[]> {
  return ((await size.run(redis, indexes.map(bucketDirectory), [])) as number[]).map(Number);
}

/** Every position of one logical index, oldest first (tests, dumps): its former key's and its buckets'. */
export async function indexEntries(redis: Redis, index: string): Promise<Position[]> {
  const dir = bucketDirectory(index);
  const keys = [index, ...(await redis.zrange(dir, 0, -1)).map((id) => `${dir}${id}`)];
  const out: Position[] = [];
  for (const key of keys) {
    const raw = await redis.zrange(key, 0, -1, "WITHSCORES");
    for (let i = 0; i + 1 < raw.length; i += 2) out.push({ member: raw[i] as string, score: Number(raw[i + 1]) });
  }
  return out.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

export { BUCKET_SEPARATOR };
