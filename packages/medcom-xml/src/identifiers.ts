import { isValidCprDate, isValidGln } from "@carehub/schemas";

export { isValidGln };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A real calendar date "YYYY-MM-DD". */
export function isValidDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** "hh:mm" or "hh:mm:ss", 24-hour. */
export function isValidTime(value: string): boolean {
  return /^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/.test(value);
}

/**
 * A CPR number: 10 digits whose first six are a valid DDMMYY date. Deliberately no modulus-11 check: numbers
 * issued since 2007 need not pass it, and MedCom's own test patients do not.
 */
export function isValidCpr(value: string): boolean {
  return /^\d{10}$/.test(value) && isValidCprDate(value);
}

/** SOR id: numeric, 11 to 18 digits (DK-core min-digits-sor). */
export function isValidSor(value: string): boolean {
  return /^\d{11,18}$/.test(value);
}

/** What system an alternative (replacement) patient id belongs to, by the eCPR patterns. */
export function alternativeIdSystem(value: string): "x-ecpr" | "d-ecpr" | "other" {
  if (/^\d{6}[17][A-Z]{2}\d$/.test(value)) return "x-ecpr";
  if (/^\d{6}[056][A-Z]{2}\d$/.test(value)) return "d-ecpr";
  return "other";
}
