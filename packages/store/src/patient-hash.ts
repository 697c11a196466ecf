import { createHmac } from "node:crypto";

/**
 * The keyed hash (HMAC-SHA256) under which the read model indexes a patient. Without the key the hash
 * cannot be turned back into a CPR number or checked against guesses (there are only a few million valid
 * CPR numbers, so a plain hash could be reversed by trying them all). Formatting is normalised so that
 * "010203-1234" and "0102031234" find the same patient.
 */
export function patientHash(key: string, identifier: string): string {
  const normalised = identifier.replace(/[\s-]/g, "");
  return createHmac("sha256", key).update(normalised).digest("base64url");
}
