import { describe, expect, it } from "vitest";
import { type BackoffPolicy, backoffDelayMs } from "./backoff.ts";

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
