/**
 * carehub's one backoff module: how long to wait before trying again. Two shapes, both jittered so that many
 * workers failing together do not come back together:
 * - `retryDelayMs`: a fixed schedule per delivery count, for JetStream naks (the bus consumer, the router);
 * - `backoffDelayMs`: exponential from a policy, for the dispatcher's deliveries (its settings,
 *   CAREHUB_DISPATCH_BACKOFF_INITIAL_MS / _MAX_MS, fill a BackoffPolicy).
 */

/** Default nak delays by delivery count: 1s, 2s, 4s … capped at 60s. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000];

/**
 * How long to wait before delivery number `deliveryCount + 1`, after delivery `deliveryCount` failed
 * with a retryable error: the schedule's entry for this attempt (the last entry repeats), with ±20%
 * jitter so that many workers failing together do not come back together.
 */
export function retryDelayMs(
  deliveryCount: number,
  schedule: readonly number[] = DEFAULT_BACKOFF_MS,
  random: () => number = Math.random,
): number {
  if (schedule.length === 0) return 0;
  const index = Math.min(Math.max(deliveryCount, 1), schedule.length) - 1;
  const base = schedule[index] ?? 0;
  return Math.max(0, Math.round(base * (0.8 + 0.4 * random())));
}

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
