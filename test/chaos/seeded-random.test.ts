import { describe, expect, it } from "vitest";
import { SeededRandom } from "./seeded-random.ts";

describe("SeededRandom", () => {
  it("repeats its choices for a seed (what --seed promises) and differs between seeds", () => {
    const draw = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 20 }, () => random.between(0, 1_000));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it("stays within its bounds and reaches both ends", () => {
    const random = new SeededRandom(7);
    const seen = new Set(Array.from({ length: 2_000 }, () => random.between(1, 4)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    expect(() => random.pick([])).toThrow();
  });
});
