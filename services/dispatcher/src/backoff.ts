/** Exponential backoff with jitter, so endpoints that come back are not hit by every retry at once. */
export interface BackoffPolicy {
  /** Delay before the second attempt, before jitter. */
  initialMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Share of the delay that is random: 0 = none, 0.5 = the delay lands in [d/2, d], 1 = in [0, d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 1_000,
  factor: 2,
  maxMs: 5 * 60_000,
  jitter: 0.5,
});

/**
 * How long to wait after failed attempt number `attempt` (1-based) before the next one.
 * `random` is injected (a number in [0, 1)) so the schedule is testable.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}
