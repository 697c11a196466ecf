import { describe, expect, it } from "vitest";
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF_MS, retryDelayMs } from "./backoff.ts";

describe("retryDelayMs", () => {
  it("follows the schedule by delivery count, repeating the last entry", () => {
    const middle = () => 0.5; // no jitter
    expect(retryDelayMs(1, [100, 200, 400], middle)).toBe(100);
    expect(retryDelayMs(2, [100, 200, 400], middle)).toBe(200);
    expect(retryDelayMs(3, [100, 200, 400], middle)).toBe(400);
    expect(retryDelayMs(9, [100, 200, 400], middle)).toBe(400);
    expect(retryDelayMs(1, DEFAULT_BACKOFF_MS, middle)).toBe(1_000);
    expect(retryDelayMs(20, DEFAULT_BACKOFF_MS, middle)).toBe(60_000);
  });

  it("adds ±20% jitter", () => {
    expect(retryDelayMs(1, [1_000], () => 0)).toBe(800);
    expect(retryDelayMs(1, [1_000], () => 0.999999)).toBe(1_200);
  });
});

const policy: BackoffPolicy = { initialMs: 100, factor: 2, maxMs: 1_000, jitter: 0.5 };

describe("backoffDelayMs", () => {
  it("doubles per attempt without jitter at the top of the range", () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, top))).toEqual([100, 200, 400, 800]);
  });

  it("never exceeds the maximum, however many attempts", () => {
    expect(backoffDelayMs(50, policy, () => 0.999999)).toBe(1_000);
    expect(backoffDelayMs(5_000, policy, () => 0.999999)).toBe(1_000);
  });

  it("spreads delays over [d*(1-jitter), d]", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(200);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(300);
    expect(backoffDelayMs(3, { ...policy, jitter: 1 }, () => 0)).toBe(0);
    expect(backoffDelayMs(3, { ...policy, jitter: 0 }, () => 0.3)).toBe(400);
  });

  it("gives different delays to different random draws (jitter is applied)", () => {
    const delays = new Set([0.1, 0.4, 0.7, 0.9].map((r) => backoffDelayMs(4, policy, () => r)));
    expect(delays.size).toBe(4);
  });

  it("treats attempt 0 or less like the first attempt", () => {
    expect(backoffDelayMs(0, policy, () => 0.999999)).toBe(100);
  });
});
