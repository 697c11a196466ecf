import { describe, expect, it } from "vitest";
import { timeOrderedId } from "./time-ordered-id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("timeOrderedId", () => {
  it("makes random version-7 ids that sort by time", () => {
    const early = timeOrderedId(1_700_000_000_000);
    const late = timeOrderedId(1_700_000_000_001);
    expect(early).toMatch(UUID);
    expect(early[14]).toBe("7");
    expect(early < late).toBe(true);
    expect(timeOrderedId(5)).not.toBe(timeOrderedId(5));
  });

  it("carries the time in its first 48 bits and a fresh random rest, many to the millisecond", () => {
    const now = 1_765_000_000_123;
    const ids = Array.from({ length: 2_000 }, () => timeOrderedId(now));
    for (const id of ids) {
      expect(id).toMatch(UUID);
      expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(now);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Every random hex digit varies (a constant one would be a fixed bit pattern, not 74 random bits).
    const randomDigits = [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)];
    for (const at of randomDigits) expect(new Set(ids.map((id) => id[at])).size).toBe(16);
  });
});
