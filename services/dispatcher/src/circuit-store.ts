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

  /** May this delivery call the endpoint now? A granted probe is claimed atomically. */
  async permit(endpoint: string): Promise<CircuitPermit> {
    const key = this.#key(endpoint);
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const raw = await this.#redis.get(key);
      const current = parseCircuitState(raw);
      const permit = requestPermit(current, this.#now(), this.#policy);
      if (!permit.permitted || permit.next === current) return permit;
      if (await this.#compareAndSet(key, raw, permit.next)) return permit;
    }
    // Many copies fighting over the probe: let the others have it.
    return { permitted: false, retryInMs: 100 };
  }

  async recordSuccess(endpoint: string): Promise<void> {
    await this.#update(endpoint, (current) =>
      current.state === "closed" && current.failures === 0 ? current : recordSuccess(current),
    );
  }

  async recordFailure(endpoint: string): Promise<CircuitState> {
    return this.#update(endpoint, (current) => recordFailure(current, this.#now(), this.#policy));
  }

  async state(endpoint: string): Promise<CircuitState> {
    return parseCircuitState(await this.#redis.get(this.#key(endpoint)));
  }

  async #update(endpoint: string, transition: (current: CircuitState) => CircuitState): Promise<CircuitState> {
    const key = this.#key(endpoint);
    let next: CircuitState = parseCircuitState(null);
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      const raw = await this.#redis.get(key);
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
