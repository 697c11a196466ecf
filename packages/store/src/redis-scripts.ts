import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { WriteOp } from "./write-plan.ts";

/**
 * Compare-and-set of one record together with its index, counter and timer writes. The record is written
 * only if it still holds exactly what the caller read, so several tracker copies (and the timer poller) can
 * update the same record without locks: the loser re-reads and recomputes. The logic that decides what to
 * write stays in TypeScript (pure, tested); the script only makes the write atomic.
 *
 * KEYS[1] record, KEYS[2..] keys named by the ops.
 * ARGV: expectedPresent ("0"/"1"), expectedValue, newValue ("" deletes), expireAtMs ("0": none),
 *       then 4 per op: code ("za" | "zr" | "hi"), key index, score or increment, member or field.
 */
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
else
  if current ~= ARGV[2] then return 0 end
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
else
  if ARGV[4] == '0' then
    redis.call('SET', KEYS[1], ARGV[3])
  else
    redis.call('SET', KEYS[1], ARGV[3], 'PXAT', ARGV[4])
  end
end
local i = 5
while i <= #ARGV do
  local code = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if code == 'za' then
    redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 3])
  elseif code == 'zr' then
    redis.call('ZREM', key, ARGV[i + 3])
  elseif code == 'hi' then
    local n = redis.call('HINCRBY', key, ARGV[i + 3], ARGV[i + 2])
    if n == 0 then redis.call('HDEL', key, ARGV[i + 3]) end
  end
  i = i + 4
end
return 1
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

class Script {
  readonly source: string;
  readonly sha: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const cas = new Script(CAS_SCRIPT);
const claim = new Script(CLAIM_SCRIPT);
const finish = new Script(FINISH_SCRIPT);

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
  const keys = [write.key];
  const keyIndex = new Map<string, number>();
  const args: (string | number)[] = [
    write.expected === null ? "0" : "1",
    write.expected ?? "",
    write.value ?? "",
    write.expireAt === undefined ? "0" : Math.round(write.expireAt),
  ];
  for (const op of write.ops) {
    let index = keyIndex.get(op.key);
    if (index === undefined) {
      keys.push(op.key);
      index = keys.length;
      keyIndex.set(op.key, index);
    }
    switch (op.op) {
      case "zadd":
        args.push("za", index, op.score, op.member);
        break;
      case "zrem":
        args.push("zr", index, 0, op.member);
        break;
      case "hincr":
        args.push("hi", index, op.by, op.field);
        break;
    }
  }
  return (await cas.run(redis, keys, args)) === 1;
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
