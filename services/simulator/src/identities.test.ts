import { isValidGln } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import {
  birthDateOfSyntheticCpr,
  isVerhoeffValid,
  makeGln,
  makeSor,
  makeSyntheticCpr,
  makeYdernummer,
  modulus11Passes,
  verhoeffCheckDigit,
} from "./identities.ts";
import { createRandom } from "./random.ts";

describe("simulated identifiers", () => {
  it("makes GLNs in the Danish range that pass GS1 mod-10", () => {
    const random = createRandom(7);
    for (let i = 0; i < 200; i++) {
      const gln = makeGln(random);
      expect(gln).toMatch(/^579\d{10}$/);
      expect(isValidGln(gln)).toBe(true);
    }
  });

  it("makes SOR ids in the SNOMED namespace form with a Verhoeff check digit, like real ones", () => {
    // Real SOR ids from MedCom's examples pass the same check.
    expect(isVerhoeffValid("265161000016000")).toBe(true);
    expect(verhoeffCheckDigit("26516100001600")).toBe(0);
    const random = createRandom(7);
    for (let i = 0; i < 200; i++) {
      const sor = makeSor(random);
      expect(sor).toMatch(/^\d{11,18}$/);
      expect(sor.slice(-10, -3)).toBe("1000016");
      expect(isVerhoeffValid(sor)).toBe(true);
    }
  });

  it("makes six-digit ydernumre", () => {
    expect(makeYdernummer(createRandom(1))).toMatch(/^\d{6}$/);
  });

  it("makes CPR numbers with real dates in the 1800s that fail modulus 11, so no one ever had them", () => {
    const random = createRandom(3);
    for (let i = 0; i < 500; i++) {
      const cpr = makeSyntheticCpr(random);
      expect(cpr).toMatch(/^\d{10}$/);
      expect(modulus11Passes(cpr)).toBe(false);
      expect(Number(cpr[6])).toBeGreaterThanOrEqual(5);
      expect(Number(cpr[6])).toBeLessThanOrEqual(8);
      const birth = birthDateOfSyntheticCpr(cpr);
      const date = new Date(`${birth}T00:00:00Z`);
      expect(date.toISOString().slice(0, 10)).toBe(birth);
      expect(Number(cpr.slice(4, 6))).toBeGreaterThanOrEqual(58);
    }
  });
});
