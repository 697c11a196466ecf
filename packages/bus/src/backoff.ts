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
