import { describe, expect, it } from "vitest";
import { RETRY_AFTER_MAX_SECONDS, RETRY_AFTER_MIN_SECONDS, RetryAfterPolicy } from "./retry-after.ts";

/** A policy on a hand-moved clock, with its jitter fixed at `random`. */
function policy(random = 0) {
  let now = 1_000_000;
  const p = new RetryAfterPolicy({ now: () => now, random: () => random, budgetPerSecond: 10 });
  return {
    p,
    advance: (ms: number) => {
      now += ms;
    },
    /** `count` refusals within one second; the answers. */
    refuse: (count: number) => Array.from({ length: count }, () => p.refused()),
  };
}

describe("RetryAfterPolicy", () => {
  it("asks for a second while refusals stay within the budget", () => {
    const { p, advance, refuse } = policy();
    for (let second = 0; second < 5; second++) {
      expect(new Set(refuse(10))).toEqual(new Set([RETRY_AFTER_MIN_SECONDS]));
      advance(1_000);
    }
    expect(p.level()).toBe(1);
  });

  it("doubles the wait in each second over the budget, up to its ceiling, never past 30 s", () => {
    const { p, advance, refuse } = policy(0.999);
    const levels: number[] = [];
    for (let second = 0; second < 7; second++) {
      const answers = refuse(50);
      expect(Math.max(...answers)).toBeLessThanOrEqual(RETRY_AFTER_MAX_SECONDS);
      levels.push(p.level());
      advance(1_000);
    }
    expect(levels).toEqual([2, 4, 8, 15, 15, 15, 15]);
    // At the ceiling the highest jitter reaches the bound, not beyond.
    expect(p.refused()).toBe(RETRY_AFTER_MAX_SECONDS);
  });

  it("halves the wait after each quiet second, down to one", () => {
    const { p, advance, refuse } = policy();
    for (let second = 0; second < 4; second++) {
      refuse(50);
      advance(1_000);
    }
    expect(p.level()).toBe(15);
    refuse(2);
    advance(1_000);
    expect(p.level()).toBe(7);
    // Three seconds without a refusal at all.
    advance(3_000);
    expect(p.level()).toBe(1);
  });

  it("spreads the answers of one moment over [level, 2 × level]", () => {
    let draw = 0;
    const draws = [0, 0.25, 0.5, 0.75, 0.99];
    let now = 0;
    const p = new RetryAfterPolicy({
      now: () => now,
      random: () => draws[draw++ % draws.length] ?? 0,
      budgetPerSecond: 1,
    });
    p.refused();
    p.refused();
    now += 1_000;
    p.refused();
    p.refused();
    expect(p.level()).toBe(4);
    draw = 0;
    const answers = Array.from({ length: 5 }, () => p.refused());
    expect(answers).toEqual([4, 5, 6, 7, 8]);
  });
});
