import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, WebhookSecret, webhookSecretProblem } from "./webhook-secret.ts";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";
import { type WebhookSignatureCode, WebhookSignatureError } from "./webhook-signature-error.ts";

const NOW = Date.parse("2026-03-02T08:00:00Z");
const NOW_SECONDS = NOW / 1000;
const body = new TextEncoder().encode('{"resourceType":"Bundle","id":"b-1"}');
const secret = generateWebhookSecret();
const other = generateWebhookSecret();

function signed(overrides: { secrets?: string[]; timestampSeconds?: number; body?: Uint8Array } = {}) {
  return signWebhook({
    id: "0190f3a2-7c1e-7000-8000-000000000001",
    timestampSeconds: overrides.timestampSeconds ?? NOW_SECONDS,
    body: overrides.body ?? body,
    secrets: overrides.secrets ?? [secret],
  });
}

function refusal(fn: () => unknown): WebhookSignatureCode {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.code as WebhookSignatureCode;
    throw error;
  }
  throw new Error("expected a WebhookSignatureError");
}

describe("signWebhook", () => {
  it("computes the Standard Webhooks v1 signature over id.timestamp.body with the decoded key", () => {
    const headers = signed();
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key)
      .update(`0190f3a2-7c1e-7000-8000-000000000001.${NOW_SECONDS}.${new TextDecoder().decode(body)}`)
      .digest("base64");
    expect(headers).toEqual({
      "webhook-id": "0190f3a2-7c1e-7000-8000-000000000001",
      "webhook-timestamp": String(NOW_SECONDS),
      "webhook-signature": `v1,${expected}`,
    });
  });

  it("signs with every secret during a rotation, space-separated, in the order given", () => {
    const both = signed({ secrets: [secret, other] })["webhook-signature"].split(" ");
    expect(both).toEqual([
      signed({ secrets: [secret] })["webhook-signature"],
      signed({ secrets: [other] })["webhook-signature"],
    ]);
  });

  it("signs the bytes as they are, not a decoded copy (ISO-8859-1 letters)", () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><Emessage>Ærø</Emessage>', "latin1");
    const headers = signed({ body: latin1 });
    expect(verifyWebhookSignature({ body: latin1, headers, secrets: [secret], now: NOW }).id).toBe(
      headers["webhook-id"],
    );
    const decodedAndReencoded = new TextEncoder().encode(latin1.toString("utf8"));
    expect(
      refusal(() => verifyWebhookSignature({ body: decodedAndReencoded, headers, secrets: [secret], now: NOW })),
    ).toBe("CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH");
  });

  it("refuses an id with a dot (it would blur the signed parts) and a timestamp that is not whole seconds", () => {
    expect(() => signWebhook({ id: "a.b", timestampSeconds: 1, body, secrets: secret })).toThrow(/dot/);
    expect(() => signWebhook({ id: "a", timestampSeconds: 1.5, body, secrets: secret })).toThrow(/unix seconds/);
  });
});

describe("verifyWebhookSignature", () => {
  it("accepts a delivery signed with the secret and returns its id and timestamp", () => {
    expect(verifyWebhookSignature({ body, headers: signed(), secrets: secret, now: NOW })).toEqual({
      id: "0190f3a2-7c1e-7000-8000-000000000001",
      timestampSeconds: NOW_SECONDS,
    });
  });

  it("accepts during a rotation: either secret on the receiver, either signature in the header", () => {
    expect(() =>
      verifyWebhookSignature({ body, headers: signed({ secrets: [other, secret] }), secrets: [secret], now: NOW }),
    ).not.toThrow();
    expect(() =>
      verifyWebhookSignature({ body, headers: signed({ secrets: [secret] }), secrets: [other, secret], now: NOW }),
    ).not.toThrow();
  });

  it("refuses a tampered body", () => {
    const tampered = new TextEncoder().encode('{"resourceType":"Bundle","id":"b-2"}');
    expect(
      refusal(() => verifyWebhookSignature({ body: tampered, headers: signed(), secrets: secret, now: NOW })),
    ).toBe("CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH");
  });

  it("refuses a signature made with another secret", () => {
    expect(
      refusal(() => verifyWebhookSignature({ body, headers: signed({ secrets: [other] }), secrets: secret, now: NOW })),
    ).toBe("CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH");
  });

  it("refuses a changed id or timestamp, both of which the signature covers", () => {
    const headers = signed({ timestampSeconds: NOW_SECONDS - 10 });
    expect(
      refusal(() =>
        verifyWebhookSignature({
          body,
          headers: { ...headers, "webhook-timestamp": String(NOW_SECONDS) },
          secrets: secret,
          now: NOW,
        }),
      ),
    ).toBe("CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH");
    expect(
      refusal(() =>
        verifyWebhookSignature({ body, headers: { ...headers, "webhook-id": "other" }, secrets: secret, now: NOW }),
      ),
    ).toBe("CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH");
  });

  it("refuses a stale timestamp (a replay) and a future one, and accepts the edges of the tolerance", () => {
    const at = (offset: number) => () =>
      verifyWebhookSignature({
        body,
        headers: signed({ timestampSeconds: NOW_SECONDS + offset }),
        secrets: secret,
        now: NOW,
      });
    expect(refusal(at(-301))).toBe("CAREHUB_ERR_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
    expect(refusal(at(301))).toBe("CAREHUB_ERR_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
    expect(at(-300)).not.toThrow();
    expect(at(300)).not.toThrow();
    expect(() => at(-301)()).toThrow(/301 s old/);
    expect(() => at(301)()).toThrow(/301 s in the future/);
  });

  it("names every missing header", () => {
    const { "webhook-signature": _s, "webhook-timestamp": _t, ...onlyId } = signed();
    expect(() => verifyWebhookSignature({ body, headers: onlyId, secrets: secret, now: NOW })).toThrow(
      "the delivery is not signed: no webhook-timestamp, webhook-signature header",
    );
    expect(refusal(() => verifyWebhookSignature({ body, headers: {}, secrets: secret, now: NOW }))).toBe(
      "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISSING",
    );
  });

  it("refuses a timestamp that is not unix seconds, and a header with no v1 signature", () => {
    expect(
      refusal(() =>
        verifyWebhookSignature({
          body,
          headers: { ...signed(), "webhook-timestamp": "2026-03-02T08:00:00Z" },
          secrets: secret,
          now: NOW,
        }),
      ),
    ).toBe("CAREHUB_ERR_WEBHOOK_TIMESTAMP_INVALID");
    const v1a = { ...signed(), "webhook-signature": "v1a,aGVsbG8=" };
    expect(() => verifyWebhookSignature({ body, headers: v1a, secrets: secret, now: NOW })).toThrow(
      "holds no v1 signature",
    );
  });

  it("reads fetch Headers and mixed-case records", () => {
    const headers = signed();
    expect(() =>
      verifyWebhookSignature({ body, headers: new Headers(headers), secrets: secret, now: NOW }),
    ).not.toThrow();
    const mixed = {
      "Webhook-Id": headers["webhook-id"],
      "Webhook-Timestamp": headers["webhook-timestamp"],
      "Webhook-Signature": headers["webhook-signature"],
    };
    expect(() => verifyWebhookSignature({ body, headers: mixed, secrets: secret, now: NOW })).not.toThrow();
  });
});

describe("webhook secrets", () => {
  it("are whsec_ + base64 of 24 to 64 bytes; problems never quote the secret", () => {
    expect(webhookSecretProblem(generateWebhookSecret())).toBeUndefined();
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(24).toString("base64")}`)).toBeUndefined();
    const short = `whsec_${Buffer.alloc(16, 7).toString("base64")}`;
    expect(webhookSecretProblem(short)).toBe("a webhook secret holds 24 to 64 key bytes, this one 16");
    expect(webhookSecretProblem("s3cr3t-value")).toBe("a webhook secret starts with whsec_");
    expect(webhookSecretProblem("whsec_not base64!")).toBe("a webhook secret is whsec_ followed by standard base64");
    expect(() => WebhookSecret.parse(short)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhookSignature({ body, headers: signed(), secrets: [], now: NOW })).toThrow(
      "no webhook secret was given",
    );
  });

  it("never show their key when logged or serialised", () => {
    const parsed = WebhookSecret.parse(secret);
    const encoded = secret.slice("whsec_".length);
    expect(JSON.stringify({ parsed })).toBe('{"parsed":"whsec_[redacted]"}');
    expect(String(parsed)).toBe("whsec_[redacted]");
    expect(inspect({ parsed })).not.toContain(encoded);
  });
});
