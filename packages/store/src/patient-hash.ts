import { createHmac, createSecretKey, type KeyObject } from "node:crypto";

/**
 * The patient hash key as a key object: made once per store, it spares each hash the key's import (about a
 * third of the hash's cost). The hash is the same as with the key's text (its UTF-8 bytes).
 */
export function patientHashKey(key: string): KeyObject {
  return createSecretKey(Buffer.from(key, "utf8"));
}

/**
 * The keyed hash (HMAC-SHA256) under which the read model indexes a patient. Without the key the hash
 * cannot be turned back into a CPR number or checked against guesses (there are only a few million valid
 * CPR numbers, so a plain hash could be reversed by trying them all). Formatting is normalised so that
 * "010203-1234" and "0102031234" find the same patient.
 */
export function patientHash(key: string | KeyObject, identifier: string): string {
  const normalised = identifier.replace(/[\s-]/g, "");
  return createHmac("sha256", key).update(normalised).digest("base64url");
}

/**
 * How many characters of the patient hash name a patient's message index and sit in the message record (132 bits:
 * no two patients of any hub share them; docs/decisions/0104). Records before 0104 carry the whole hash (43).
 */
export const PATIENT_INDEX_HASH_CHARS = 22;

/** The part of a patient hash the message index and the message record file the patient under (0104). */
export function patientIndexHash(hash: string): string {
  return hash.slice(0, PATIENT_INDEX_HASH_CHARS);
}
