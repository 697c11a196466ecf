/** The Redis keys the dispatcher owns (docs/contracts.md, "Redis keys"); every key starts with `<ns>:`. */
export interface DispatchKeys {
  /** Set once a message reached a receiver: no double delivery, and the ordering of corrections. */
  delivered(endpoint: string, hubId: string): string;
  /** Set when a message was dead-lettered at a receiver (cleared on delivery): what waits for it gives up. */
  deadLettered(endpoint: string, hubId: string): string;
  /** The attempts of a message at a receiver (hash: copy, attempts, total, a:<n> = attempt record). */
  attempts(endpoint: string, hubId: string): string;
  /** The endpoint's circuit-breaker state. */
  circuit(endpoint: string): string;
}

export function dispatchKeys(ns: string): DispatchKeys {
  return {
    delivered: (endpoint, hubId) => `${ns}:delivered:${endpoint}:${hubId}`,
    deadLettered: (endpoint, hubId) => `${ns}:dead:${endpoint}:${hubId}`,
    attempts: (endpoint, hubId) => `${ns}:attempts:${endpoint}:${hubId}`,
    circuit: (endpoint) => `${ns}:cb:${endpoint}`,
  };
}
