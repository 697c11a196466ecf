import { describe, expect, it } from "vitest";
import { copenhagenOffsetMinutes, localDateTimeToIso, toDanishLocal } from "./danish-time.ts";
import { alternativeIdSystem, isValidCpr, isValidDate, isValidSor, isValidTime } from "./identifiers.ts";

describe("CPR", () => {
  it("checks the date part only — never modulus 11", () => {
    expect(isValidCpr("2509479989")).toBe(true); // MedCom test patient, fails mod-11
    expect(isValidCpr("0101604896")).toBe(true);
    expect(isValidCpr("2902001234")).toBe(true); // 29 Feb in a year that can be a leap year
    expect(isValidCpr("2902011234")).toBe(false);
    expect(isValidCpr("3104991234")).toBe(false); // 31 April
    expect(isValidCpr("0013991234")).toBe(false);
    expect(isValidCpr("000199123")).toBe(false);
    expect(isValidCpr("010199123X")).toBe(false);
  });
});

describe("SOR, dates, times, alternative ids", () => {
  it("SOR ids are 11 to 18 digits", () => {
    expect(isValidSor("265161000016000")).toBe(true);
    expect(isValidSor("1234567890")).toBe(false);
    expect(isValidSor("1234567890123456789")).toBe(false);
  });
  it("dates are real calendar dates, times 24-hour", () => {
    expect(isValidDate("2024-02-29")).toBe(true);
    expect(isValidDate("2023-02-29")).toBe(false);
    expect(isValidDate("2023-2-1")).toBe(false);
    expect(isValidTime("23:59")).toBe(true);
    expect(isValidTime("23:59:59")).toBe(true);
    expect(isValidTime("24:00")).toBe(false);
    expect(isValidTime("9:00")).toBe(false);
  });
  it("classifies replacement CPR numbers by the eCPR patterns", () => {
    expect(alternativeIdSystem("0703921VJ4")).toBe("x-ecpr");
    expect(alternativeIdSystem("1206550VK9")).toBe("d-ecpr");
    expect(alternativeIdSystem("ABC")).toBe("other");
  });
});

describe("Danish local time", () => {
  it("uses +01:00 in winter and +02:00 in summer, switching on the last Sundays of March and October", () => {
    expect(localDateTimeToIso("2024-01-15", "12:00")).toBe("2024-01-15T12:00:00+01:00");
    expect(localDateTimeToIso("2024-07-15", "12:00")).toBe("2024-07-15T12:00:00+02:00");
    expect(localDateTimeToIso("2024-03-31", "01:59")).toBe("2024-03-31T01:59:00+01:00");
    expect(localDateTimeToIso("2024-03-31", "03:00")).toBe("2024-03-31T03:00:00+02:00");
    expect(localDateTimeToIso("2024-10-27", "04:00")).toBe("2024-10-27T04:00:00+01:00");
    expect(copenhagenOffsetMinutes(Date.parse("2024-10-27T00:59:00Z"))).toBe(120);
    expect(copenhagenOffsetMinutes(Date.parse("2024-10-27T01:00:00Z"))).toBe(60);
  });
  it("writes a moment as Danish wall-clock date and time", () => {
    expect(toDanishLocal("2024-07-01T22:30:00Z")).toEqual({ date: "2024-07-02", time: "00:30" });
    expect(toDanishLocal(new Date("2024-12-31T23:00:00Z"))).toEqual({ date: "2025-01-01", time: "00:00" });
    expect(() => toDanishLocal("not a date")).toThrow(RangeError);
  });
});
