import type { Redis } from "ioredis";
import {
  type CircuitPermit,
  type CircuitPolicy,
  type CircuitState,
  parseCircuitState,
  recordFailure,
  recordSuccess,
  requestPermit,
  serializeCircuitState,
} from "./circuit-breaker.ts";

/** Stores `next` only if the key still holds `expected` ('' = absent): a compare-and-set. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`;

const MAX_CONFLICTS = 8;

/** A circuit state as read from Redis by another atomic step (null: none stored). */
export interface StoredCircuit {
  raw: string | null;
}

/**
 * The circuit breakers of all endpoints, kept in Redis (`<ns>:cb:<endpoint>`) so that every dispatcher
 * copy sees the same state. Transitions are the pure functions of circuit-breaker.ts, applied with an
 * optimistic compare-and-set so concurrent copies never lose each other's updates.
 */
export class CircuitStore {
  readonly #redis: Redis;
  readonly #key: (endpoint: string) => string;
  readonly #policy: CircuitPolicy;
  readonly #now: () => number;

  constructor(redis: Redis, key: (endpoint: string) => string, policy: CircuitPolicy, now: () => number = Date.now) {
    this.#redis = redis;
    this.#key = key;
    this.#policy = policy;
    this.#now = now;
  }

  /**
   * May this delivery call the endpoint now? A granted probe is claimed atomically. `stored` is the state as
   * just read with the delivery state (one round trip fewer); a lost compare-and-set reads it again.
   */
  async permit(endpoint: string, stored?: StoredCircuit): Promise<CircuitPermit> {
    const key = this.#key(endpoint);
    let known = stored;
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const raw = known === undefined ? await this.#redis.get(key) : known.raw;
      known = undefined;
      const current = parseCircuitState(raw);
      const permit = requestPermit(current, this.#now(), this.#policy);
      if (!permit.permitted || permit.next === current) return permit;
      if (await this.#compareAndSet(key, raw, permit.next)) return permit;
    }
    // Many copies fighting over the probe: let the others have it.
    return { permitted: false, retryInMs: 100 };
  }

  /** Closes the circuit; `stored` as in permit (the state read together with the delivered marker). */
  async recordSuccess(endpoint: string, stored?: StoredCircuit): Promise<void> {
    await this.#update(endpoint, stored, (current) =>
      current.state === "closed" && current.failures === 0 ? current : recordSuccess(current),
    );
  }

  async recordFailure(endpoint: string): Promise<CircuitState> {
    return this.#update(endpoint, undefined, (current) => recordFailure(current, this.#now(), this.#policy));
  }

  async state(endpoint: string): Promise<CircuitState> {
    return parseCircuitState(await this.#redis.get(this.#key(endpoint)));
  }

  async #update(
    endpoint: string,
    stored: StoredCircuit | undefined,
    transition: (current: CircuitState) => CircuitState,
  ): Promise<CircuitState> {
    const key = this.#key(endpoint);
    let next: CircuitState = parseCircuitState(null);
    let known = stored;
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const raw = known === undefined ? await this.#redis.get(key) : known.raw;
      known = undefined;
      const current = parseCircuitState(raw);
      next = transition(current);
      if (next === current) return current;
      if (await this.#compareAndSet(key, raw, next)) return next;
    }
    return next;
  }

  async #compareAndSet(key: string, expected: string | null, next: CircuitState): Promise<boolean> {
    const stored = await this.#redis.eval(COMPARE_AND_SET, 1, key, expected ?? "", serializeCircuitState(next));
    return stored === 1;
  }
}
