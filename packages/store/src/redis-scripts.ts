import { hash } from "node:crypto";
import type { Redis } from "ioredis";
import { BUCKET_LUA } from "./bucketed-index.ts";
import { bucketDirectory } from "./keys.ts";
import { Script } from "./lua-script.ts";
import type { WriteOp } from "./write-plan.ts";

type HincrOp = Extract<WriteOp, { op: "hincr" }>;

/**
 * Compare-and-set of records, each together with its index, counter and timer writes. A record is written
 * only if it still holds exactly what the caller read, so several tracker copies (and the timer poller) can
 * update the same record without locks: the loser re-reads and recomputes. The logic that decides what to
 * write stays in TypeScript (pure, tested); the script only makes each record's write atomic. Several records
 * go in one call (a batch of lifecycle events): one round trip, and each record succeeds or fails on its own.
 * What the caller read is compared by its SHA-1 (docs/decisions/0092): the record's 1–2 KB is sent once, as
 * the new value, not a second time as the expectation.
 *
 * A record rewritten keeps most of what it held (a status, a receiver, a hop added): its new value goes as the
 * part that changed, between a prefix and a suffix it shares with the value read (docs/decisions/0111), and the
 * script rebuilds the rest from what Redis holds, which the digest has just shown to be that value.
 *
 * KEYS: the records and the keys named by their ops, each once.
 * ARGV[1] number of records, then per record: record key index, expected ("0": absent; "1": present; "2":
 *       present, and the new value is sent as a change of it), expectedDigest (hex SHA-1 of the value read; ""
 *       when absent), newValue ("" deletes; with "2": the bytes between the prefix and the suffix kept from the
 *       value read), expireAtMs ("0": none), number of op arguments, with "2" the prefix's and the suffix's
 *       length in bytes, then the ops, each a code and its arguments (key indexes into KEYS):
 *       "za" key score member | "zr" key member | "hi" key increment field | "px" key expiry (epoch ms) |
 *       "h2" key key increment field (one counter field moved alike in two hashes: the overall and the day's) |
 *       "mv" key key from to (a count moved from one field to another in both: "h2" -1 from, then "h2" 1 to) |
 *       "ba" / "br" directory score member (a bucketed message index's add / remove: bucketed-index.ts) |
 *       "mb" member score (the record's own index member and listing score, for the ops below; score "" when
 *       none) | "zm" key (ZADD of that member at that score) | "rm" key (ZREM of that member) |
 *       "bm" / "bn" directory (a bucketed index's add / remove of that member at that score) |
 *       "mo" score (the score the record's member leaves its former positions at, for the op below) |
 *       "bo" directory (a bucketed index's remove of that member at that former score).
 * Returns one 1 (written) or 0 (the record had changed) per record.
 */
const CAS_SCRIPT = `${BUCKET_LUA}
local results = {}
local i = 2
for r = 1, tonumber(ARGV[1]) do
  local key = KEYS[tonumber(ARGV[i])]
  local current = redis.call('GET', key)
  local matches
  local expected = ARGV[i + 1]
  if expected == '0' then matches = not current else matches = current and redis.sha1hex(current) == ARGV[i + 2] end
  local opsAt = i + 6
  if expected == '2' then opsAt = i + 8 end
  local opsEnd = opsAt + tonumber(ARGV[i + 5])
  local member, score, formerScore
  if matches then
    local value = ARGV[i + 3]
    if expected == '2' then
      value = string.sub(current, 1, tonumber(ARGV[i + 6])) .. value .. string.sub(current, #current - tonumber(ARGV[i + 7]) + 1)
    end
    if value == '' then
      redis.call('DEL', key)
    elseif ARGV[i + 4] == '0' then
      redis.call('SET', key, value)
    else
      redis.call('SET', key, value, 'PXAT', ARGV[i + 4])
    end
    local j = opsAt
    while j < opsEnd do
      local code = ARGV[j]
      local target = KEYS[tonumber(ARGV[j + 1])]
      if code == 'za' then
        redis.call('ZADD', target, ARGV[j + 2], ARGV[j + 3])
        j = j + 4
      elseif code == 'zr' then
        redis.call('ZREM', target, ARGV[j + 2])
        j = j + 3
      elseif code == 'ba' then
        bucketAdd(target, ARGV[j + 2], ARGV[j + 3])
        j = j + 4
      elseif code == 'br' then
        bucketRemove(target, ARGV[j + 2], ARGV[j + 3])
        j = j + 4
      elseif code == 'hi' then
        if redis.call('HINCRBY', target, ARGV[j + 3], ARGV[j + 2]) == 0 then redis.call('HDEL', target, ARGV[j + 3]) end
        j = j + 4
      elseif code == 'h2' then
        local other = KEYS[tonumber(ARGV[j + 2])]
        if redis.call('HINCRBY', target, ARGV[j + 4], ARGV[j + 3]) == 0 then redis.call('HDEL', target, ARGV[j + 4]) end
        if redis.call('HINCRBY', other, ARGV[j + 4], ARGV[j + 3]) == 0 then redis.call('HDEL', other, ARGV[j + 4]) end
        j = j + 5
      elseif code == 'mv' then
        local other = KEYS[tonumber(ARGV[j + 2])]
        local from, to = ARGV[j + 3], ARGV[j + 4]
        if redis.call('HINCRBY', target, from, -1) == 0 then redis.call('HDEL', target, from) end
        if redis.call('HINCRBY', other, from, -1) == 0 then redis.call('HDEL', other, from) end
        if redis.call('HINCRBY', target, to, 1) == 0 then redis.call('HDEL', target, to) end
        if redis.call('HINCRBY', other, to, 1) == 0 then redis.call('HDEL', other, to) end
        j = j + 5
      elseif code == 'px' then
        redis.call('PEXPIREAT', target, ARGV[j + 2])
        j = j + 3
      elseif code == 'mb' then
        member = ARGV[j + 1]
        score = ARGV[j + 2]
        j = j + 3
      elseif code == 'zm' then
        redis.call('ZADD', target, score, member)
        j = j + 2
      elseif code == 'rm' then
        redis.call('ZREM', target, member)
        j = j + 2
      elseif code == 'bm' then
        bucketAdd(target, score, member)
        j = j + 2
      elseif code == 'bn' then
        bucketRemove(target, score, member)
        j = j + 2
      elseif code == 'mo' then
        formerScore = ARGV[j + 1]
        j = j + 2
      elseif code == 'bo' then
        bucketRemove(target, formerScore, member)
        j = j + 2
      else
        return redis.error_reply('unknown op ' .. tostring(code))
      end
    end
    results[r] = 1
  else
    results[r] = 0
  end
  i = opsEnd
end
return results
`;

/**
 * Claims due timers: each due member's score is moved to the end of a lease, so another poller does not
 * take it; a poller that dies mid-fire lets the lease run out and the timer becomes due again.
 * KEYS[1] timers; ARGV now, leaseUntil, limit. Returns [member, dueScore, ...].
 */
const CLAIM_SCRIPT = `
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]), 'WITHSCORES')
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i])
end
return due
`;

/** Removes a claimed timer unless something re-armed it meanwhile (then its score is no longer the lease). */
const FINISH_SCRIPT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

const cas = new Script(CAS_SCRIPT);
const claim = new Script(CLAIM_SCRIPT);
const finish = new Script(FINISH_SCRIPT);

/** The digest the script compares a record's current value with: hex SHA-1 of its UTF-8 bytes, as Redis' `sha1hex`. */
function recordDigest(value: string): string {
  return hash("sha1", value, "hex");
}

export interface CasWrite {
  key: string;
  /** What the caller read (null: the key did not exist). */
  expected: string | null;
  /** What to write (null: delete). */
  value: string | null;
  expireAt?: number;
  ops: readonly WriteOp[];
}

/** Returns false when the record changed since it was read. */
export async function compareAndSet(redis: Redis, write: CasWrite): Promise<boolean> {
  const [done] = await compareAndSetMany(redis, [write]);
  return done === true;
}

/**
 * Several records' compare-and-sets in one script call, in order; each record is written or not on its own
 * (true: written, false: it changed since it was read). Each record key may appear once.
 */
export async function compareAndSetMany(redis: Redis, writes: readonly CasWrite[]): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const indexOf = (key: string): number => {
    let index = keyIndex.get(key);
    if (index === undefined) {
      keys.push(key);
      index = keys.length;
      keyIndex.set(key, index);
    }
    return index;
  };
  const args: (string | number)[] = [writes.length];
  // Every record's arguments are pushed into the one list the script gets, its ops' count filled in once they are
  // there: a list of each record's op arguments, spread into this one, was garbage the size of the call
  // (docs/performance.md, "al21: less garbage per message").
  for (const write of writes) {
    const recordIndex = indexOf(write.key);
    const change =
      write.expected === null || write.value === null ? undefined : valueChange(write.expected, write.value);
    args.push(
      recordIndex,
      write.expected === null ? "0" : change === undefined ? "1" : "2",
      write.expected === null ? "" : recordDigest(write.expected),
      change?.between ?? write.value ?? "",
      write.expireAt === undefined ? "0" : Math.round(write.expireAt),
      0,
    );
    const countAt = args.length - 1;
    if (change !== undefined) args.push(change.prefixBytes, change.suffixBytes);
    const opsFrom = args.length;
    opArguments(write.ops, indexOf, args);
    args[countAt] = args.length - opsFrom;
  }
  const results = (await cas.run(redis, keys, args)) as number[];
  return writes.map((_, i) => results[i] === 1);
}

/** A change sent in place of a whole value only when it saves at least this many characters. */
const CHANGE_SAVES_AT_LEAST = 24;

export interface ValueChange {
  /** How many bytes (UTF-8, as Redis holds them) of the value read start the new value. */
  prefixBytes: number;
  /** How many bytes of the value read end it. */
  suffixBytes: number;
  /** What comes between. */
  between: string;
}

/**
 * The new value of a record as the script's change of the value read: the prefix and suffix both share (never
 * splitting a character) and what the new value has between them; undefined when a change would not be much
 * shorter than the value.
 */
export function valueChange(read: string, next: string): ValueChange | undefined {
  const limit = Math.min(read.length, next.length);
  let prefix = 0;
  while (prefix < limit && read.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < limit - prefix &&
    read.charCodeAt(read.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)
  )
    suffix++;
  // A surrogate pair is kept or sent whole.
  if (prefix > 0 && isHighSurrogate(next.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(next.charCodeAt(next.length - suffix))) suffix--;
  if (prefix + suffix < CHANGE_SAVES_AT_LEAST) return undefined;
  return {
    prefixBytes: Buffer.byteLength(next.slice(0, prefix)),
    suffixBytes: suffix === 0 ? 0 : Buffer.byteLength(next.slice(next.length - suffix)),
    between: next.slice(prefix, next.length - suffix),
  };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A record's ops as script arguments, in their order. A counter field moved by the same amount in two hashes (a
 * message's `idx:stats` and its day's hash carry the same fields) goes as one "h2" op where the first of the two
 * stood: the two increments commute, and the day hash's expiry still comes after its last increment. A status
 * change moves a count from one field to another in both hashes: such a pair of "h2" ops (-1 and 1) goes as one
 * "mv" op where the first of them stood, which keeps every increment before the expiry. The index
 * member most of the record's index ops name (a message's own, in its seven or so indexes) and its most common
 * score are sent once ("mb"), and the ops that use them name only their key ("zm", "rm"). An expiry set again
 * later in the same record with the same time (the day hash's, after its counters and after its analyses) is
 * sent once, where it last stood. What Redis ends up holding is the same.
 */
export function opArguments(
  ops: readonly WriteOp[],
  indexOf: (key: string) => number,
  into: (string | number)[] = [],
): (string | number)[] {
  const partnerOf = new Map<WriteOp, WriteOp>();
  const folded = new Set<WriteOp>();
  // The first op of each amount and field not yet paired, looked up by amount, then field (a record holds one or
  // two amounts: no text made per op to look them up by, which was a third of this function's time).
  const unpaired = new Map<number, Map<string, HincrOp>>();
  for (const op of ops) {
    if (op.op !== "hincr") continue;
    let byField = unpaired.get(op.by);
    if (byField === undefined) {
      byField = new Map();
      unpaired.set(op.by, byField);
    }
    const first = byField.get(op.field);
    if (first !== undefined && first.key !== op.key) {
      partnerOf.set(first, op);
      folded.add(op);
      byField.delete(op.field);
    } else {
      byField.set(op.field, op);
    }
  }
  // Pairs of merged ops taking one from a field and adding one to another in the same two hashes: first → second.
  // The open ones are few (one per status a record leaves or enters): a list searched in place.
  const moves = new Map<WriteOp, WriteOp>();
  const openMoves: { op: HincrOp; partnerKey: string }[] = [];
  for (const [op, partner] of partnerOf) {
    if (op.op !== "hincr" || (op.by !== 1 && op.by !== -1)) continue;
    const sameHashes = (open: { op: HincrOp; partnerKey: string }) =>
      open.op.key === op.key && open.partnerKey === partner.key;
    const at = openMoves.findIndex((open) => open.op.by === -op.by && sameHashes(open));
    if (at === -1) {
      // A later op of the same amount in the same two hashes takes the open place of an earlier one.
      const same = openMoves.findIndex((open) => open.op.by === op.by && sameHashes(open));
      if (same === -1) openMoves.push({ op, partnerKey: partner.key });
      else openMoves[same] = { op, partnerKey: partner.key };
      continue;
    }
    const open = (openMoves.splice(at, 1)[0] as { op: HincrOp }).op;
    const [first, second] = ops.indexOf(open) < ops.indexOf(op) ? [open, op] : [op, open];
    moves.set(first, second);
    folded.add(second);
  }
  const { member, score, formerScore } = sharedMember(ops);
  // Appended to `into` (compareAndSetMany's list of every record's arguments), which is returned.
  const args = into;
  if (member !== undefined) args.push("mb", member, score ?? "");
  if (formerScore !== undefined) args.push("mo", formerScore);
  for (let at = 0; at < ops.length; at++) {
    const op = ops[at] as WriteOp;
    if (folded.has(op)) continue;
    switch (op.op) {
      case "zadd":
        if (op.member === member && op.score === score) args.push("zm", indexOf(op.key));
        else args.push("za", indexOf(op.key), op.score, op.member);
        break;
      case "zrem":
        if (op.member === member) args.push("rm", indexOf(op.key));
        else args.push("zr", indexOf(op.key), op.member);
        break;
      case "bzadd":
      case "bzrem": {
        const shared = op.member === member && op.score === score;
        const dir = indexOf(bucketDirectory(op.key));
        if (shared) args.push(op.op === "bzadd" ? "bm" : "bn", dir);
        else if (op.op === "bzrem" && op.member === member && op.score === formerScore) args.push("bo", dir);
        else args.push(op.op === "bzadd" ? "ba" : "br", dir, op.score, op.member);
        break;
      }
      case "hincr": {
        const partner = partnerOf.get(op);
        const second = moves.get(op);
        if (partner === undefined) args.push("hi", indexOf(op.key), op.by, op.field);
        else if (second?.op !== "hincr") args.push("h2", indexOf(op.key), indexOf(partner.key), op.by, op.field);
        else {
          const [from, to] = op.by === -1 ? [op.field, second.field] : [second.field, op.field];
          args.push("mv", indexOf(op.key), indexOf(partner.key), from, to);
        }
        break;
      }
      case "pexpireat":
        if (isLastExpiry(ops, at)) args.push("px", indexOf(op.key), Math.round(op.at));
        break;
    }
  }
  return args;
}

/**
 * Whether the expiry at `at` is the last one the record's ops set on its key with the same time (a record sets one
 * or two: a scan of the ops after it, rather than a map keyed by text made for each).
 */
function isLastExpiry(ops: readonly WriteOp[], at: number): boolean {
  const expiry = ops[at] as Extract<WriteOp, { op: "pexpireat" }>;
  const time = Math.round(expiry.at);
  for (let later = at + 1; later < ops.length; later++) {
    const op = ops[later] as WriteOp;
    if (op.op === "pexpireat" && op.key === expiry.key && Math.round(op.at) === time) return false;
  }
  return true;
}

/**
 * The member named by the most index ops of a record, with the score most of its additions have; undefined when
 * no member is named twice (then sending it once would save nothing). And the score most of its other bucketed
 * removals name, when two or more do (a record whose listing time moved leaves every bucketed index at its former
 * score).
 */
function sharedMember(ops: readonly WriteOp[]): { member?: string; score?: number; formerScore?: number } {
  const uses = new Map<string, number>();
  let member: string | undefined;
  let most = 1;
  for (const op of ops) {
    if (op.op !== "zadd" && op.op !== "zrem" && op.op !== "bzadd" && op.op !== "bzrem") continue;
    const count = (uses.get(op.member) ?? 0) + 1;
    uses.set(op.member, count);
    if (count > most) {
      member = op.member;
      most = count;
    }
  }
  if (member === undefined) return {};
  // The score most of the ops `counted` name for the member, if at least `least` do.
  const vote = (counted: (op: WriteOp) => boolean, least = 1): number | undefined => {
    const scores = new Map<number, number>();
    let best: number | undefined;
    let most = least - 1;
    for (const op of ops) {
      if (!("score" in op) || op.member !== member || !counted(op)) continue;
      const count = (scores.get(op.score) ?? 0) + 1;
      scores.set(op.score, count);
      if (count > most) {
        best = op.score;
        most = count;
      }
    }
    return best;
  };
  // The score of its additions; for a record that only leaves its indexes (deleted), that of its bucketed
  // removals (a bucketed removal names its score: the bucket it is in).
  const score = vote((op) => op.op === "zadd" || op.op === "bzadd") ?? vote((op) => op.op === "bzrem");
  const formerScore = vote((op) => op.op === "bzrem" && op.score !== score, 2);
  if (score === undefined) return { member };
  return formerScore === undefined ? { member, score } : { member, score, formerScore };
}

export async function claimTimers(
  redis: Redis,
  timersKey: string,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<Array<{ member: string; dueAt: number }>> {
  const flat = (await claim.run(redis, [timersKey], [now, leaseUntil, limit])) as string[];
  const out: Array<{ member: string; dueAt: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i] as string, dueAt: Number(flat[i + 1]) });
  return out;
}

export async function finishTimer(
  redis: Redis,
  timersKey: string,
  member: string,
  leaseUntil: number,
): Promise<boolean> {
  return (await finish.run(redis, [timersKey], [member, leaseUntil])) === 1;
}
