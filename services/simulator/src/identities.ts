import { glnCheckDigit } from "@carehub/schemas";
import type { Random } from "./random.ts";

/**
 * Made-up but well-formed Danish identifiers for simulated endpoints and patients. Nothing here names a
 * real organisation or person.
 */

/** A GLN in the Danish healthcare range (579…) with a valid check digit. */
export function makeGln(random: Random): string {
  const first12 = `579${random.digits(9)}`;
  return `${first12}${glnCheckDigit(first12)}`;
}

// Verhoeff tables: SOR ids are SNOMED-CT-style ids whose last digit is a Verhoeff check digit.
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

export function verhoeffCheckDigit(digits: string): number {
  let c = 0;
  const reversed = [...digits].reverse();
  for (let i = 0; i < reversed.length; i++) {
    c = VERHOEFF_D[c]?.[VERHOEFF_P[(i + 1) % 8]?.[Number(reversed[i])] ?? 0] ?? 0;
  }
  return VERHOEFF_INV[c] ?? 0;
}

export function isVerhoeffValid(value: string): boolean {
  let c = 0;
  const reversed = [...value].reverse();
  for (let i = 0; i < reversed.length; i++) c = VERHOEFF_D[c]?.[VERHOEFF_P[i % 8]?.[Number(reversed[i])] ?? 0] ?? 0;
  return c === 0;
}

/** A SOR id in the Danish SNOMED namespace form: item + `1000016` + partition `00` + Verhoeff check digit. */
export function makeSor(random: Random): string {
  const body = `${random.int(1, 9)}${random.digits(random.int(5, 7))}100001600`;
  return `${body}${verhoeffCheckDigit(body)}`;
}

/** A six-digit GP practice number. */
export function makeYdernummer(random: Random): string {
  return `0${random.digits(5)}`;
}

/** CPR century rule: which 7th digits give which century for a two-digit year. */
function modulus11Passes(cpr: string): boolean {
  const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(cpr[i]) * (weights[i] ?? 0);
  return sum % 11 === 0;
}

/**
 * A synthetic CPR number that was never issued to anyone: a real calendar date in 1858–1899 (7th digit
 * 5–8 with YY 58–99 means the 1800s) AND a failing modulus-11 check. Numbers without a valid modulus-11
 * check were only issued from 2007, to people born then; everyone given a CPR number in 1968 for a
 * birth date in the 1800s got one that passes. The hub checks only the date part, as MedCom requires.
 */
export function makeSyntheticCpr(random: Random): string {
  for (;;) {
    const year = random.int(1858, 1899);
    const month = random.int(1, 12);
    const day = random.int(1, daysIn(year, month));
    const serial = `${random.int(5, 8)}${random.digits(3)}`;
    const cpr = `${pad2(day)}${pad2(month)}${pad2(year % 100)}${serial}`;
    if (!modulus11Passes(cpr)) return cpr;
  }
}

/** The birth date a synthetic CPR number encodes (only valid for numbers made by makeSyntheticCpr). */
export function birthDateOfSyntheticCpr(cpr: string): string {
  return `18${cpr.slice(4, 6)}-${cpr.slice(2, 4)}-${cpr.slice(0, 2)}`;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad2(n: number): string {
  return n.toString().padStart(2, "0");
}

export { modulus11Passes };
