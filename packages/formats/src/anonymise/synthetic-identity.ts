import { createHmac } from "node:crypto";
import { isValidCprDate } from "@carehub/schemas";

/**
 * Synthetic stand-ins for personal data, derived from the original with a keyed hash: the same original always
 * gets the same stand-in under one key (so one patient stays one synthetic patient across a whole recording),
 * and without the key nobody can rebuild the mapping by hashing every possible CPR number.
 */
export class SyntheticIdentities {
  readonly #key: Uint8Array;
  readonly #byOriginal = new Map<string, string>();
  readonly #taken = new Set<string>();

  /** `key`: at least 16 random bytes, kept secret (or thrown away after the run). */
  constructor(key: Uint8Array) {
    if (key.byteLength < 16) throw new RangeError("the anonymisation key needs at least 16 bytes");
    this.#key = key;
  }

  /** Digits 0-9 from the keyed hash of (purpose, value, attempt): a stream long enough for any stand-in. */
  #digits(purpose: string, value: string, attempt: number): number[] {
    const hash = createHmac("sha256", this.#key).update(`${purpose}\u0000${value}\u0000${attempt}`).digest();
    return [...hash].map((byte) => byte % 10);
  }

  #letters(purpose: string, value: string, attempt: number): number[] {
    const hash = createHmac("sha256", this.#key).update(`${purpose}\u0000${value}\u0000${attempt}`).digest();
    return [...hash];
  }

  /** One stand-in per original, distinct from every other stand-in and from the original itself. */
  #once(category: string, original: string, make: (attempt: number) => string): string {
    const key = `${category}\u0000${original}`;
    const known = this.#byOriginal.get(key);
    if (known !== undefined) return known;
    for (let attempt = 0; ; attempt++) {
      const candidate = make(attempt);
      if (candidate === original || this.#taken.has(`${category}\u0000${candidate}`)) continue;
      this.#byOriginal.set(key, candidate);
      this.#taken.add(`${category}\u0000${candidate}`);
      return candidate;
    }
  }

  /**
   * A patient identifier of the same shape. A ten-character identifier whose first six are a DDMMYY date (a CPR
   * or replacement CPR) gets another valid date with the same year, and the same seventh character (with the
   * year it gives the century), so ages stay as they were; digits stay digits and letters letters; a CPR keeps
   * its sex (the parity of the last digit) and passes modulus 11 exactly when the original does.
   */
  patientIdentifier(original: string): string {
    return this.#once("patient", original, (attempt) => {
      const digits = this.#digits("patient", original, attempt);
      let next = 0;
      const digit = () => digits[next++ % digits.length] ?? 0;
      const shaped = [...original].map((char) =>
        /\d/.test(char)
          ? String(digit())
          : /[A-Z]/.test(char)
            ? String.fromCharCode(65 + ((digit() * 7 + digit()) % 26))
            : char,
      );
      if (original.length === 10 && isValidCprDate(original)) {
        const yy = Number(original.slice(4, 6));
        const month = 1 + ((digit() * 10 + digit()) % 12);
        const day = 1 + ((digit() * 10 + digit()) % 28);
        shaped.splice(0, 6, ...`${pad(day)}${pad(month)}${pad(yy)}`.split(""));
        shaped[6] = original[6] ?? "0";
      }
      const result = shaped.join("");
      if (!/^\d{10}$/.test(original)) return result;
      return withCheck(result, original);
    });
  }

  /** A name part (a given or family name, or a whole name): a made-up word, capitalised like the original. */
  name(original: string): string {
    return this.#once("name", original.toLowerCase(), (attempt) => {
      const words = original.split(/\s+/).filter((w) => w !== "");
      return words.map((word, index) => this.#word(`name${index}`, word.toLowerCase(), attempt, word)).join(" ");
    });
  }

  /** An address line, city or district: made-up words, the digits (a house number) replaced by digits. */
  address(original: string): string {
    return this.#once("address", original.toLowerCase(), (attempt) => {
      const digits = this.#digits("address-number", original, attempt);
      let next = 0;
      return original
        .split(/(\s+)/)
        .map((part, index) =>
          /^\s+$/.test(part) || part === ""
            ? part
            : /^\d+$/.test(part)
              ? part.replace(/\d/g, () => String(digits[next++ % digits.length] ?? 1))
              : this.#word(`address${index}`, part.toLowerCase(), attempt, part),
        )
        .join("");
    });
  }

  /** A telephone number: as many digits, none kept. */
  phone(original: string): string {
    return this.#once("phone", original, (attempt) => {
      const digits = this.#digits("phone", original, attempt);
      let next = 0;
      return original.replace(/\d/g, () => String(digits[next++ % digits.length] ?? 0));
    });
  }

  /** An e-mail address in the reserved `.invalid` domain. */
  email(original: string): string {
    return this.#once("email", original.toLowerCase(), (attempt) => {
      const digits = this.#digits("email", original.toLowerCase(), attempt).slice(0, 8).join("");
      return `patient-${digits}@example.invalid`;
    });
  }

  #word(purpose: string, value: string, attempt: number, like: string): string {
    const bytes = this.#letters(purpose, value, attempt);
    const length = Math.max(3, Math.min(9, like.length));
    let word = "";
    for (let i = 0; i < length; i++) {
      const byte = bytes[i] ?? 0;
      word += i % 2 === 0 ? CONSONANTS[byte % CONSONANTS.length] : VOWELS[byte % VOWELS.length];
    }
    const upper = like.charAt(0) !== like.charAt(0).toLowerCase();
    return upper ? word.charAt(0).toUpperCase() + word.slice(1) : word;
  }
}

// Letters that make pronounceable, obviously made-up words; no Danish letters (the stand-ins are plain ASCII,
// so they are the same bytes in UTF-8 and ISO-8859-1).
const CONSONANTS = "bdfgklmnprstv";
const VOWELS = "aeiou";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

const MOD11_WEIGHTS = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/** Whether a ten-digit CPR number passes the modulus 11 check (the weighted digit sum divides by 11). */
export function passesModulus11(cpr: string): boolean {
  if (!/^\d{10}$/.test(cpr)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(cpr[i]) * (MOD11_WEIGHTS[i] ?? 0);
  return sum % 11 === 0;
}

/**
 * Adjusts the synthetic CPR's eighth and ninth digits until it passes modulus 11 exactly when the original
 * does, keeping the last digit's parity (the sex) as the original's.
 */
function withCheck(candidate: string, original: string): string {
  const wantsMod11 = passesModulus11(original);
  const last = Number(original[9]) % 2;
  const base = candidate.slice(0, 7);
  const start = Number(candidate.slice(7, 10));
  for (let step = 0; step < 1000; step++) {
    const tail = String((start + step) % 1000).padStart(3, "0");
    const next = `${base}${tail}`;
    if (Number(tail[2]) % 2 === last && passesModulus11(next) === wantsMod11) return next;
  }
  return candidate; // unreachable: every thousand tails hold both kinds of either parity
}
