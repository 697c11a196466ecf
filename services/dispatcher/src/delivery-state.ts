import { type DeliveryRecord, encodeDeliveryRecord, parseDeliveryRecord } from "@carehub/ledger";
import type { Redis } from "ioredis";
import type { AttemptRecord } from "./dispatch-errors.ts";
import type { DispatchKeys } from "./dispatch-keys.ts";

/**
 * Counts an attempt of the current copy (the copy is registered) and tells whether the copy's previous
 * attempt may have reached the receiver: begun (counted) but neither delivered (that would have deleted this
 * hash) nor recorded as failed (`a:<its total>`), i.e. the process making it died during the call; or recorded
 * as failed without knowing whether the request arrived (`u:<its total>`: a timeout, a connection cut). Shared by
 * both scripts below; KEYS[1] is the attempts hash, `ttl` its expiry. Returns attempts, total, unreported, and
 * counted: the copy's attempts less those that got no answer in time (`timedOut`), which do not use up
 * `maxDeliveryAttempts` (docs/decisions/0060).
 */
const COUNT_ATTEMPT = `
local function countAttempt(ttl)
  local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  local total = redis.call('HINCRBY', KEYS[1], 'total', 1)
  redis.call('EXPIRE', KEYS[1], ttl)
  local unreported = 0
  if attempts > 1 and (redis.call('HEXISTS', KEYS[1], 'a:' .. (total - 1)) == 0
    or redis.call('HEXISTS', KEYS[1], 'u:' .. (total - 1)) == 1) then unreported = 1 end
  local counted = attempts - (tonumber(redis.call('HGET', KEYS[1], 'timedOut') or '0') or 0)
  return attempts, total, unreported, counted
end`;

/**
 * Looks at one copy of a message before delivery, in one atomic step:
 * KEYS: attempts, dead marker, marker hash and older releases' delivered marker (this message; '' for a re-send), marker hash,
 * older delivered marker and dead marker (its predecessor, or '' three times), the endpoint's circuit, and older
 * releases' marker hashes under the whole hub id (docs/decisions/0119: this message's, its predecessor's or ''). ARGV:
 * copy id, ttl seconds, may-begin ("1": the caller knows the endpoint and the message has not expired), now
 * (epoch ms), the receiver's delivered field in a marker hash (`d:<receiver>:<n>` for re-send n). Returns {delivered record or '', not-before ms,
 * predecessor delivered 0/1, predecessor dead 0/1, circuit state or false, and when the attempt was begun:
 * attempts, total, unreported}. The circuit is read here so that the permit to call the endpoint costs no
 * round trip of its own. A copy not seen before (a re-driven dead letter) starts its attempt limit afresh and
 * clears the message's dead marker, so what is ordered after it waits for it again.
 *
 * When nothing stands in the way — not delivered, no predecessor still to come, no backoff pause, and a
 * closed circuit (nothing stored, or stored closed: a closed circuit permits without changing state) — the
 * attempt is counted here too, so a delivery to a healthy endpoint costs this one round trip before the call.
 * Anything else (an open or half-open circuit, whose permit may claim the probe) is left to the caller.
 */
const OBSERVE_COPY = `${COUNT_ATTEMPT}
local delivered = redis.call('HGET', KEYS[3], ARGV[5]) or redis.call('HGET', KEYS[9], ARGV[5])
  or (KEYS[4] ~= '' and redis.call('GET', KEYS[4]))
local circuit = redis.call('GET', KEYS[8])
local afterDelivered = 0
local afterDead = 0
if KEYS[5] ~= '' then
  if redis.call('HEXISTS', KEYS[5], ARGV[5]) == 1 or redis.call('HEXISTS', KEYS[10], ARGV[5]) == 1
    or redis.call('EXISTS', KEYS[6]) == 1 then afterDelivered = 1 end
  if redis.call('EXISTS', KEYS[7]) == 1 then afterDead = 1 end
end
if delivered then return {delivered, 0, afterDelivered, afterDead, circuit} end
local notBefore = 0
if redis.call('HGET', KEYS[1], 'copy') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'copy', ARGV[1], 'attempts', 0, 'timedOut', 0, 'notBefore', 0)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('DEL', KEYS[2])
else
  notBefore = tonumber(redis.call('HGET', KEYS[1], 'notBefore') or '0') or 0
end
local closed = circuit == false or string.find(circuit, '"state":"closed"', 1, true) ~= nil
if ARGV[3] == '1' and (KEYS[5] == '' or afterDelivered == 1) and notBefore <= tonumber(ARGV[4]) and closed then
  local attempts, total, unreported, counted = countAttempt(ARGV[2])
  return {'', notBefore, afterDelivered, afterDead, circuit, attempts, total, unreported, counted}
end
return {'', notBefore, afterDelivered, afterDead, circuit}`;

/** Counts an attempt the check did not count (an open or half-open circuit granted a probe). */
const BEGIN_ATTEMPT = `${COUNT_ATTEMPT}
local attempts, total, unreported, counted = countAttempt(ARGV[1])
return {attempts, total, unreported, counted}`;

/**
 * Marks a message delivered to one receiver, in one atomic step: KEYS: marker hash, dead marker, attempts (this
 * message at this receiver), the endpoint's circuit. ARGV: the receiver's delivered field, the delivery record,
 * ttl seconds. Returns the circuit state as stored (false: none), so that closing the circuit after a success
 * costs no round trip when it is closed already. One command where a transaction took six (MULTI, four, EXEC).
 */
const MARK_DELIVERED = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2], KEYS[3])
return redis.call('GET', KEYS[4])`;

/** The names the scripts are defined under on the client (defineCommand). */
const OBSERVE_COPY_COMMAND = "carehubObserveCopy";
const MARK_DELIVERED_COMMAND = "carehubMarkDelivered";

/** Commands defined with defineCommand, which ioredis' types do not know. */
type ScriptCommands = Record<
  typeof OBSERVE_COPY_COMMAND | typeof MARK_DELIVERED_COMMAND,
  (...args: string[]) => Promise<unknown>
>;

export type PredecessorState = "delivered" | "dead-lettered" | "pending";

/** What the `delivered` marker keeps: enough to publish the `delivered` event again if it was lost (the ledger's). */
export type { DeliveryRecord };

export interface PreDeliveryCheck {
  /** Set when the message already reached this receiver. */
  delivered?: DeliveryRecord;
  /** The state of the message named by Carehub-After at this receiver, when there is one. */
  predecessor?: PredecessorState;
  /** Epoch ms before which this copy must not be tried again (backoff after a failed attempt); 0 = now. */
  notBefore: number;
  /** The endpoint's circuit-breaker state as stored (null: none), read in the same step. */
  circuit: string | null;
  /** Set when the check counted the attempt too (nothing stood in the way and the circuit was closed). */
  begun?: BegunAttempt;
}

/** An attempt counted before the endpoint is called. */
export interface BegunAttempt {
  /** Attempts of this copy so far, this one included (the backoff grows with it). */
  attempt: number;
  /** Of those, the ones that count towards `maxDeliveryAttempts`: all but the ones that got no answer. */
  counted: number;
  total: number;
  /**
   * The copy's previous attempt may have reached the receiver: it never reported back (the process died during
   * the call), or it failed without an answer (a timeout, a connection cut after the request was sent).
   */
  previousMayHaveArrived: boolean;
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
    // ioredis sends a defined command as EVALSHA (EVAL once when Redis lacks the script): the script's text
    // (about 1.3 KB) is not written to the socket, nor hashed by Redis, on every delivery.
    redis.defineCommand(OBSERVE_COPY_COMMAND, { lua: OBSERVE_COPY, numberOfKeys: 10 });
    redis.defineCommand(MARK_DELIVERED_COMMAND, { lua: MARK_DELIVERED, numberOfKeys: 4 });
  }

  /**
   * One atomic round trip: is it delivered already, where is the message it must follow, and is this copy
   * in a backoff pause? `copy` identifies this copy of the message (its OUTBOX stream sequence). With
   * `mayBegin` (the endpoint is known and the message has not expired) and nothing in the way at `now`, the
   * attempt is counted in the same step (`begun`), as beginAttempt would.
   */
  async check(
    endpoint: string,
    hubId: string,
    after: string | undefined,
    copy: string,
    begin: { mayBegin: boolean; now: number } = { mayBegin: false, now: 0 },
    resend?: number,
  ): Promise<PreDeliveryCheck> {
    const [delivered, notBefore, afterDelivered, afterDead, circuit, attempts, total, unreported, counted] = (await (
      this.#redis as unknown as ScriptCommands
    )[OBSERVE_COPY_COMMAND](
      this.#keys.attempts(endpoint, hubId),
      this.#keys.deadLettered(endpoint, hubId),
      this.#keys.markers(hubId),
      // A re-send is a delivery of its own: the ordinary copy's marker of older releases does not stand for it.
      resend === undefined ? this.#keys.delivered(endpoint, hubId) : "",
      after === undefined ? "" : this.#keys.markers(after),
      after === undefined ? "" : this.#keys.delivered(endpoint, after),
      after === undefined ? "" : this.#keys.deadLettered(endpoint, after),
      this.#keys.circuit(endpoint),
      this.#keys.formerMarkers(hubId),
      after === undefined ? "" : this.#keys.formerMarkers(after),
      copy,
      String(this.#ttlSeconds),
      begin.mayBegin ? "1" : "0",
      String(Math.floor(begin.now)),
      this.#keys.deliveredField(endpoint, resend),
    )) as [string, number, number, number, string | null, number?, number?, number?, number?];
    const check: PreDeliveryCheck = {
      notBefore: Number(notBefore),
      circuit: typeof circuit === "string" ? circuit : null,
    };
    if (delivered !== "") check.delivered = parseDeliveryRecord(delivered);
    if (after !== undefined) {
      check.predecessor = afterDelivered === 1 ? "delivered" : afterDead === 1 ? "dead-lettered" : "pending";
    }
    if (attempts !== undefined && total !== undefined) {
      check.begun = {
        attempt: Number(attempts),
        counted: Number(counted),
        total: Number(total),
        previousMayHaveArrived: Number(unreported) === 1,
      };
    }
    return check;
  }

  /**
   * Counts an attempt before the endpoint is called (a crash during the call still counts it), when check()
   * did not count it already.
   */
  async beginAttempt(endpoint: string, hubId: string): Promise<BegunAttempt> {
    const result = (await this.#redis.eval(
      BEGIN_ATTEMPT,
      1,
      this.#keys.attempts(endpoint, hubId),
      String(this.#ttlSeconds),
    )) as [number, number, number, number];
    return {
      attempt: Number(result[0]),
      counted: Number(result[3]),
      total: Number(result[1]),
      previousMayHaveArrived: Number(result[2]) === 1,
    };
  }

  /**
   * Keeps a failed attempt in the history and pauses this copy until `notBefore` (epoch ms). `mayHaveArrived`:
   * no answer came, yet the request may have reached the receiver (the next attempt counts as a possible
   * duplicate). `timedOut`: the receiver did not answer within the endpoint's `timeoutMs`; such an attempt does not
   * count towards `maxDeliveryAttempts` (a slow receiver is not a failing one, docs/decisions/0060).
   */
  async recordFailedAttempt(
    endpoint: string,
    hubId: string,
    record: AttemptRecord,
    notBefore: number,
    mayHaveArrived = false,
    timedOut = false,
  ): Promise<void> {
    const key = this.#keys.attempts(endpoint, hubId);
    const fields = {
      [`a:${record.attempt}`]: JSON.stringify(record),
      notBefore: String(notBefore),
      ...(mayHaveArrived ? { [`u:${record.attempt}`]: "1" } : {}),
    };
    if (!timedOut) {
      await this.#redis.hset(key, fields);
      return;
    }
    const results = await this.#redis.multi().hset(key, fields).hincrby(key, "timedOut", 1).exec();
    if (results === null) throw new Error("the failed attempt's transaction was aborted");
    for (const [error] of results) if (error) throw error;
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
  async markDelivered(
    endpoint: string,
    hubId: string,
    record: DeliveryRecord,
    resend?: number,
  ): Promise<{ circuit: string | null }> {
    const circuit = await (this.#redis as unknown as ScriptCommands)[MARK_DELIVERED_COMMAND](
      this.#keys.markers(hubId),
      this.#keys.deadLettered(endpoint, hubId),
      this.#keys.attempts(endpoint, hubId),
      this.#keys.circuit(endpoint),
      this.#keys.deliveredField(endpoint, resend),
      encodeDeliveryRecord(record),
      String(this.#ttlSeconds),
    );
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
