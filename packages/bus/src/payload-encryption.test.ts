import { describe, expect, it } from "vitest";
import { PAYLOAD_SEAL_OVERHEAD_BYTES, PayloadCipher, readablePayload } from "./payload-encryption.ts";
import { topology } from "./topology.ts";

const topo = topology("sealtest");
const key = (fill: number): string => Buffer.alloc(32, fill).toString("base64");
const K1 = { id: "k1", base64: key(1) };
const K2 = { id: "k2", base64: key(2) };
const PLAINTEXT = new TextEncoder().encode('{"patient":"0101012345","text":"blood pressure 120/80"}');

function cipher(...keys: { id: string; base64: string }[]): PayloadCipher {
  const built = PayloadCipher.fromKeyring(keys, topo);
  if (built === undefined) throw new Error("no keys");
  return built;
}

describe("PayloadCipher", () => {
  it("is absent without keys", () => {
    expect(PayloadCipher.fromKeyring([], topo)).toBeUndefined();
  });

  it("seals the message streams only: INGRESS, PIPELINE, OUTBOX and DLQ", () => {
    const c = cipher(K1);
    expect(c.seals(topo.subjects.ingress("gp-1"))).toBe(true);
    expect(c.seals(topo.subjects.pipeline("lab-result"))).toBe(true);
    expect(c.seals(topo.subjects.outbox("gp-1"))).toBe(true);
    expect(c.seals(topo.subjects.dlq("intake"))).toBe(true);
    expect(c.seals(topo.subjects.events("received"))).toBe(false);
    expect(c.seals(topo.subjects.inbox("gp-1"))).toBe(false);
    expect(c.seals(topo.subjects.audit("message.read", "operator", "alice"))).toBe(false);
    expect(c.seals("othername.ingress.gp-1")).toBe(false);
  });

  it("seals with the newest key, a fresh nonce each time, and opens what it sealed", () => {
    const c = cipher(K2, K1);
    const first = c.seal(PLAINTEXT);
    const second = c.seal(PLAINTEXT);
    expect(first.keyId).toBe("k2");
    expect(first.data.byteLength).toBe(PLAINTEXT.byteLength + PAYLOAD_SEAL_OVERHEAD_BYTES);
    expect(Buffer.from(first.data).equals(Buffer.from(second.data))).toBe(false);
    expect(Buffer.from(first.data).includes("0101012345")).toBe(false);
    expect(Buffer.from(c.open(first.data, "k2")).equals(Buffer.from(PLAINTEXT))).toBe(true);
  });

  it("opens a payload sealed with an older key of the ring", () => {
    const old = cipher(K1).seal(PLAINTEXT);
    expect(Buffer.from(cipher(K2, K1).open(old.data, old.keyId)).equals(Buffer.from(PLAINTEXT))).toBe(true);
  });

  it("refuses a key the ring no longer holds, and a sealed payload without any ring", () => {
    const old = cipher(K1).seal(PLAINTEXT);
    expect(() => cipher(K2).open(old.data, "k1")).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN", retryable: false }),
    );
    expect(() => readablePayload(undefined, old.data, "k1")).toThrow(
      expect.objectContaining({ code: "CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN" }),
    );
  });

  it("refuses altered bytes, a different key under the same id, a re-labelled key id and a truncated payload", () => {
    const sealed = cipher(K1).seal(PLAINTEXT);
    const altered = Buffer.from(sealed.data);
    altered[20] = (altered[20] ?? 0) ^ 1;
    const unreadable = expect.objectContaining({ code: "CAREHUB_ERR_BUS_PAYLOAD_UNREADABLE", retryable: false });
    expect(() => cipher(K1).open(altered, "k1")).toThrow(unreadable);
    expect(() => cipher({ id: "k1", base64: key(9) }).open(sealed.data, "k1")).toThrow(unreadable);
    // The same key bytes under another id: the id is bound into the tag.
    expect(() => cipher({ id: "k9", base64: K1.base64 }).open(sealed.data, "k9")).toThrow(unreadable);
    expect(() => cipher(K1).open(sealed.data.subarray(0, 10), "k1")).toThrow(unreadable);
  });

  it("passes a payload that names no key through as stored", () => {
    expect(readablePayload(cipher(K1), PLAINTEXT, undefined)).toBe(PLAINTEXT);
    expect(readablePayload(undefined, PLAINTEXT, "")).toBe(PLAINTEXT);
  });
});
