import { describe, expect, it } from "vitest";
import { glnCheckDigit, isValidCprDate, isValidGln } from "./identifiers.ts";

describe("GLN check digit (GS1 mod-10)", () => {
  it("accepts a GLN whose last digit is the check digit of the first 12 and refuses any other", () => {
    expect(glnCheckDigit("579000020935")).toBe(4);
    expect(isValidGln("5790000209354")).toBe(true);
    expect(isValidGln("5790000209355")).toBe(false);
    expect(isValidGln("5790000123456")).toBe(false); // the known-bad EAN in the OIOXML examples
    expect(isValidGln("579000020935")).toBe(false);
  });
});

describe("CPR date part, the one rule every format uses", () => {
  it("checks DDMMYY only, never modulus 11", () => {
    expect(isValidCprDate("2509479989")).toBe(true); // MedCom's test patient, which fails modulus 11
    expect(isValidCprDate("3104011234")).toBe(false);
    expect(isValidCprDate("0013011234")).toBe(false);
    expect(isValidCprDate("0100011234")).toBe(false);
  });
  it("allows 29 February only when YY is divisible by 4", () => {
    expect(isValidCprDate("2902001234")).toBe(true);
    expect(isValidCprDate("2902041234")).toBe(true);
    expect(isValidCprDate("2902011234")).toBe(false);
  });
});
