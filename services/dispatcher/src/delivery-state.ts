import type { Redis } from "ioredis";
import type { AttemptRecord } from "./dispatch-errors.ts";
import type { DispatchKeys } from "./dispatch-keys.ts";

/**
 * Looks at one copy of a message before delivery, in one atomic step:
 * KEYS: attempts, dead marker, delivered marker (this message), delivered and dead markers (its predecessor,
 * or '' twice), the endpoint's circuit. ARGV: copy id, ttl seconds. Returns {delivered record or '', not-before
 * ms, predecessor delivered 0/1, predecessor dead 0/1, circuit state or false}. The circuit is read here so
 * that the permit to call the endpoint costs no round trip of its own. A copy not seen before (a re-driven dead letter) starts its attempt
 * limit afresh and clears the message's dead marker, so what is ordered after it waits for it again.
 */
const OBSERVE_COPY = `
local delivered = redis.call('GET', KEYS[3])
local circuit = redis.call('GET', KEYS[6])
local afterDelivered = 0
local afterDead = 0
if KEYS[4] ~= '' then
  if redis.call('EXISTS', KEYS[4]) == 1 then afterDelivered = 1 end
  if redis.call('EXISTS', KEYS[5]) == 1 then afterDead = 1 end
end
if delivered then return {delivered, 0, afterDelivered, afterDead, circuit} end
local notBefore = 0
if redis.call('HGET', KEYS[1], 'copy') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'copy', ARGV[1], 'attempts', 0, 'notBefore', 0)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('DEL', KEYS[2])
else
  notBefore = tonumber(redis.call('HGET', KEYS[1], 'notBefore') or '0') or 0
end
return {'', notBefore, afterDelivered, afterDead, circuit}`;

/**
 * Counts an attempt of the current copy (check() registered the copy) and tells whether the copy's previous
 * attempt never reported back: begun (counted) but neither delivered (that would have deleted this hash) nor
 * recorded as failed (`a:<its total>`), i.e. the process making it died during the call.
 */
const BEGIN_ATTEMPT = `
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local total = redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('EXPIRE', KEYS[1], ARGV[1])
local unreported = 0
if attempts > 1 and redis.call('HEXISTS', KEYS[1], 'a:' .. (total - 1)) == 0 then unreported = 1 end
return {attempts, total, unreported}`;

export type PredecessorState = "delivered" | "dead-lettered" | "pending";

/** What the `delivered` marker keeps: enough to publish the `delivered` event again if it was lost. */
export interface DeliveryRecord {
  attempt: number;
  durationMs: number;
  at: string;
}

export interface PreDeliveryCheck {
  /** Set when the message already reached this receiver. */
  delivered?: DeliveryRecord;
  /** The state of the message named by Carehub-After at this receiver, when there is one. */
  predecessor?: PredecessorState;
  /** Epoch ms before which this copy must not be tried again (backoff after a failed attempt); 0 = now. */
  notBefore: number;
  /** The endpoint's circuit-breaker state as stored (null: none), read in the same step. */
  circuit: string | null;
}

/** Delivery facts per (receiver, message), in Redis so that every dispatcher copy and restart agrees. */
export class DeliveryState {
  readonly #redis: Redis;
  readonly #keys: DispatchKeys;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, keys: DispatchKeys, ttlSeconds: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlSeconds = ttlSeconds;
  }

  /**
   * One atomic round trip: is it delivered already, where is the message it must follow, and is this copy
   * in a backoff pause? `copy` identifies this copy of the message (its OUTBOX stream sequence).
   */
  async check(endpoint: string, hubId: string, after: string | undefined, copy: string): Promise<PreDeliveryCheck> {
    const [delivered, notBefore, afterDelivered, afterDead, circuit] = (await this.#redis.eval(
      OBSERVE_COPY,
      6,
      this.#keys.attempts(endpoint, hubId),
      this.#keys.deadLettered(endpoint, hubId),
      this.#keys.delivered(endpoint, hubId),
      after === undefined ? "" : this.#keys.delivered(endpoint, after),
      after === undefined ? "" : this.#keys.deadLettered(endpoint, after),
      this.#keys.circuit(endpoint),
      copy,
      String(this.#ttlSeconds),
    )) as [string, number, number, number, string | null];
    const check: PreDeliveryCheck = {
      notBefore: Number(notBefore),
      circuit: typeof circuit === "string" ? circuit : null,
    };
    if (delivered !== "") check.delivered = parseDeliveryRecord(delivered);
    if (after !== undefined) {
      check.predecessor = afterDelivered === 1 ? "delivered" : afterDead === 1 ? "dead-lettered" : "pending";
    }
    return check;
  }

  /**
   * Counts an attempt before the endpoint is called (a crash during the call still counts it).
   * `previousUnreported`: the copy's previous attempt never reported back, so it may have reached the receiver.
   */
  async beginAttempt(
    endpoint: string,
    hubId: string,
  ): Promise<{ attempt: number; total: number; previousUnreported: boolean }> {
    const result = (await this.#redis.eval(
      BEGIN_ATTEMPT,
      1,
      this.#keys.attempts(endpoint, hubId),
      String(this.#ttlSeconds),
    )) as [number, number, number];
    return { attempt: Number(result[0]), total: Number(result[1]), previousUnreported: Number(result[2]) === 1 };
  }

  /** Keeps a failed attempt in the history and pauses this copy until `notBefore` (epoch ms). */
  async recordFailedAttempt(endpoint: string, hubId: string, record: AttemptRecord, notBefore: number): Promise<void> {
    await this.#redis.hset(
      this.#keys.attempts(endpoint, hubId),
      `a:${record.attempt}`,
      JSON.stringify(record),
      "notBefore",
      String(notBefore),
    );
  }

  /** Every failed attempt recorded for the message at this receiver, oldest first. */
  async history(endpoint: string, hubId: string): Promise<AttemptRecord[]> {
    const all = await this.#redis.hgetall(this.#keys.attempts(endpoint, hubId));
    return Object.entries(all)
      .filter(([field]) => field.startsWith("a:"))
      .map(([, value]) => JSON.parse(value) as AttemptRecord)
      .sort((a, b) => a.attempt - b.attempt);
  }

  /**
   * Marks the message delivered and returns the endpoint's circuit state as stored (null: none), read in the
   * same step, so that closing the circuit after a success costs no round trip when it is closed already.
   */
  async markDelivered(endpoint: string, hubId: string, record: DeliveryRecord): Promise<{ circuit: string | null }> {
    const results = await this.#redis
      .multi()
      .set(this.#keys.delivered(endpoint, hubId), JSON.stringify(record), "EX", this.#ttlSeconds)
      .del(this.#keys.deadLettered(endpoint, hubId), this.#keys.attempts(endpoint, hubId))
      .get(this.#keys.circuit(endpoint))
      .exec();
    if (results === null) throw new Error("the delivered marker's transaction was aborted");
    for (const [error] of results) if (error) throw error;
    const circuit = results[2]?.[1];
    return { circuit: typeof circuit === "string" ? circuit : null };
  }

  async markDeadLettered(endpoint: string, hubId: string, reason: { code: string; message: string }): Promise<void> {
    await this.#redis.set(
      this.#keys.deadLettered(endpoint, hubId),
      JSON.stringify({ code: reason.code, message: reason.message }),
      "EX",
      this.#ttlSeconds,
    );
  }
}

function parseDeliveryRecord(raw: string): DeliveryRecord {
  try {
    const value = JSON.parse(raw) as Partial<DeliveryRecord>;
    return {
      attempt: typeof value.attempt === "number" ? value.attempt : 1,
      durationMs: typeof value.durationMs === "number" ? value.durationMs : 0,
      at: typeof value.at === "string" ? value.at : new Date(0).toISOString(),
    };
  } catch {
    return { attempt: 1, durationMs: 0, at: new Date(0).toISOString() };
  }
}
