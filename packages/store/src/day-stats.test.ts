import { describe, expect, it } from "vitest";
import { statDay } from "./day-stats.ts";

describe("the day a counter is kept under", () => {
  // Catches: the day's name kept from the last call handed out for another day (a message counted under
  // yesterday's hash after midnight, or the other way round).
  it("is the UTC day of the time, across midnight and back, before 1970 too", () => {
    const midnight = Date.parse("2026-12-07T00:00:00.000Z");
    const times = [midnight - 1, midnight, midnight + 86_399_999, midnight - 1, midnight + 86_400_000, -1, 0, 0.5];
    for (const at of times) expect(statDay(at)).toBe(new Date(at).toISOString().slice(0, 10));
    expect(statDay(midnight - 1)).toBe("2026-12-06");
    expect(statDay(midnight)).toBe("2026-12-07");
  });
});
