import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF_MS, retryDelayMs } from "./backoff.ts";

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
