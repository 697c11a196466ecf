/**
 * A circuit breaker per endpoint, as a pure state machine. The state lives in Redis (`<ns>:cb:<endpoint>`,
 * see circuit-store.ts) so that every dispatcher copy agrees; this module only decides transitions.
 *
 *   closed ──N consecutive failures──▶ open ──cool-down elapsed──▶ half-open (one probe at a time)
 *     ▲                                  ▲                              │
 *     └──────────── probe succeeds ──────┼──────────────────────────────┤
 *                                        └──────── probe fails ─────────┘
 */
export interface CircuitPolicy {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit keeps every call away from the endpoint before one probe is let through. */
  cooldownMs: number;
  /** How long a probe may run before another dispatcher copy may probe instead (a probe's owner may die). */
  probeLeaseMs: number;
}

export const DEFAULT_CIRCUIT_POLICY: CircuitPolicy = Object.freeze({
  failureThreshold: 5,
  cooldownMs: 30_000,
  probeLeaseMs: 30_000,
});

export type CircuitState =
  | { state: "closed"; failures: number }
  | { state: "open"; failures: number; openedAt: number }
  | { state: "half-open"; failures: number; openedAt: number; probeUntil: number };

export const CLOSED_CIRCUIT: CircuitState = Object.freeze({ state: "closed", failures: 0 });

export type CircuitPermit =
  /** Call the endpoint; `next` is the state to store first (a probe claims the half-open slot). */
  | { permitted: true; probe: boolean; next: CircuitState }
  /** Do not call; try again after `retryInMs`, without counting an attempt. */
  | { permitted: false; retryInMs: number };

/** Whether a delivery may call the endpoint now. */
export function requestPermit(current: CircuitState, now: number, policy: CircuitPolicy): CircuitPermit {
  switch (current.state) {
    case "closed":
      return { permitted: true, probe: false, next: current };
    case "open": {
      const reopensAt = current.openedAt + policy.cooldownMs;
      if (now < reopensAt) return { permitted: false, retryInMs: reopensAt - now };
      return { permitted: true, probe: true, next: halfOpen(current, now, policy) };
    }
    case "half-open":
      if (now < current.probeUntil) return { permitted: false, retryInMs: current.probeUntil - now };
      // The probe's owner did not report back within its lease: take over the probe.
      return { permitted: true, probe: true, next: halfOpen(current, now, policy) };
  }
}

/** Any answer that shows the endpoint works closes the circuit. */
export function recordSuccess(_current: CircuitState): CircuitState {
  return CLOSED_CIRCUIT;
}

/** A failed attempt: count it; open at the threshold; a failed probe opens the circuit again. */
export function recordFailure(current: CircuitState, now: number, policy: CircuitPolicy): CircuitState {
  const failures = current.failures + 1;
  switch (current.state) {
    case "closed":
      return failures >= policy.failureThreshold
        ? { state: "open", failures, openedAt: now }
        : { state: "closed", failures };
    case "open":
      // A call that started before the circuit opened: the cool-down keeps running from when it opened.
      return { ...current, failures };
    case "half-open":
      return { state: "open", failures, openedAt: now };
  }
}

function halfOpen(current: CircuitState, now: number, policy: CircuitPolicy): CircuitState {
  const openedAt = current.state === "closed" ? now : current.openedAt;
  return { state: "half-open", failures: current.failures, openedAt, probeUntil: now + policy.probeLeaseMs };
}

/** Reads a stored state; anything unreadable counts as closed (the safe side is to try the endpoint). */
export function parseCircuitState(raw: string | null): CircuitState {
  if (raw === null || raw === "") return CLOSED_CIRCUIT;
  try {
    const value = JSON.parse(raw) as Partial<Record<string, unknown>>;
    const failures = typeof value.failures === "number" ? value.failures : 0;
    const openedAt = typeof value.openedAt === "number" ? value.openedAt : 0;
    if (value.state === "open") return { state: "open", failures, openedAt };
    if (value.state === "half-open" && typeof value.probeUntil === "number") {
      return { state: "half-open", failures, openedAt, probeUntil: value.probeUntil };
    }
    if (value.state === "closed") return { state: "closed", failures };
  } catch {
    // fall through: unreadable
  }
  return CLOSED_CIRCUIT;
}

export function serializeCircuitState(state: CircuitState): string {
  return JSON.stringify(state);
}
