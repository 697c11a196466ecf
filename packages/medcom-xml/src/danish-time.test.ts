import { describe, expect, it } from "vitest";
import { inRepeatedDanishHour } from "../test/fixtures.ts";
import { localDateTimeToIso, toDanishLocal } from "./danish-time.ts";

/**
 * OIOXML carries Danish local time without an offset. When summer time ends (2023-10-29: 03:00 CEST becomes
 * 02:00 CET at 01:00 UTC) the local hour 02:00–02:59 happens twice; the parser reads it as the second (CET).
 * The property tests leave that hour out (it cannot round-trip); these pin the choice and the exclusion.
 */
describe("Danish local time around the autumn switch", () => {
  it("reads the repeated local hour as standard time (the second occurrence)", () => {
    expect(toDanishLocal("2023-10-29T00:30:00Z")).toEqual({ date: "2023-10-29", time: "02:30" });
    expect(toDanishLocal("2023-10-29T01:30:00Z")).toEqual({ date: "2023-10-29", time: "02:30" });
    expect(localDateTimeToIso("2023-10-29", "02:30")).toBe("2023-10-29T02:30:00+01:00");
  });

  it("round-trips the hours on either side of the repeated one", () => {
    for (const instant of [
      "2023-10-28T23:59:00Z",
      "2023-10-29T02:00:00Z",
      "2023-03-26T00:59:00Z",
      "2023-03-26T01:00:00Z",
    ]) {
      const { date, time } = toDanishLocal(instant);
      expect(Date.parse(localDateTimeToIso(date, time))).toBe(Date.parse(instant));
    }
  });

  it("names exactly the two UTC hours whose local time is repeated", () => {
    expect(inRepeatedDanishHour(Date.parse("2023-10-29T00:00:00Z"))).toBe(true);
    expect(inRepeatedDanishHour(Date.parse("2023-10-29T01:59:00Z"))).toBe(true);
    expect(inRepeatedDanishHour(Date.parse("2023-10-28T23:59:00Z"))).toBe(false);
    expect(inRepeatedDanishHour(Date.parse("2023-10-29T02:00:00Z"))).toBe(false);
    expect(inRepeatedDanishHour(Date.parse("2023-03-26T01:30:00Z"))).toBe(false);
  });
});
