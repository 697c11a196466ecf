import { describe, expect, it } from "vitest";
import { patientHash, patientHashKey } from "./patient-hash.ts";

// The read model files patients under this hash: a change to it would orphan every stored patient index.
// The expected value is HMAC-SHA256 computed outside Node:
//   printf '%s' 0101901234 | openssl dgst -sha256 -hmac "test-key-test-key-test-key" -binary | base64 (url-safe, unpadded)
const KEY = "test-key-test-key-test-key";
const EXPECTED = "udbAUKshzsDY61risJwmHm7iTFfBPfy-TT2RuRCvb20";

describe("patientHash", () => {
  // Catches: a key object that hashes other bytes than the key's text (another encoding, a derived key).
  it("gives the same hash with the key's text and with its key object", () => {
    expect(patientHash(KEY, "0101901234")).toBe(EXPECTED);
    expect(patientHash(patientHashKey(KEY), "0101901234")).toBe(EXPECTED);
  });

  // Catches: formatting that files one patient under two hashes.
  it("ignores dashes and spaces in the identifier", () => {
    expect(patientHash(patientHashKey(KEY), "010190-1234")).toBe(EXPECTED);
    expect(patientHash(patientHashKey(KEY), " 010190 1234 ")).toBe(EXPECTED);
  });
});
