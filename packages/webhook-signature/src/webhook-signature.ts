import { createHmac, timingSafeEqual } from "node:crypto";
import { toWebhookSecrets, type WebhookSecret, type WebhookSecretInput } from "./webhook-secret.ts";
import { WEBHOOK_SIGNATURE_CODES, WebhookSignatureError } from "./webhook-signature-error.ts";

/** The Standard Webhooks tolerance: a receiver refuses a timestamp more than 5 minutes off its clock. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** The three Standard Webhooks headers, by their lower-case names (a type, so it fits any header record). */
export type WebhookSignatureHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

export interface SignWebhookInput {
  /** Stable across retries (the receiver's idempotency key); must not contain `.` or whitespace. */
  id: string;
  /** The attempt's time, whole unix seconds. */
  timestampSeconds: number;
  /** The exact bytes that go on the wire. */
  body: Uint8Array;
  /** One signature per secret, in this order: several during a rotation. */
  secrets: WebhookSecretInput | readonly WebhookSecretInput[];
}

/**
 * Signs a delivery the Standard Webhooks way: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` per
 * secret, space-separated. Signs the bytes as they are (an ISO-8859-1 OIOXML letter is not decoded first).
 */
export function signWebhook(input: SignWebhookInput): WebhookSignatureHeaders {
  if (input.id === "" || /[.\s]/.test(input.id)) {
    // The id is one of the dot-separated parts of what is signed; a dot in it would make two messages sign alike.
    throw new TypeError(`signWebhook: the id ${JSON.stringify(input.id)} is empty or holds a dot or whitespace`);
  }
  if (!Number.isSafeInteger(input.timestampSeconds) || input.timestampSeconds < 0) {
    throw new TypeError(`signWebhook: the timestamp ${input.timestampSeconds} is not whole unix seconds`);
  }
  const timestamp = String(input.timestampSeconds);
  const signatures = toWebhookSecrets(input.secrets).map(
    (secret) => `v1,${digest(secret, input.id, timestamp, input.body).toString("base64")}`,
  );
  return { "webhook-id": input.id, "webhook-timestamp": timestamp, "webhook-signature": signatures.join(" ") };
}

/** Headers as node:http gives them (lower-case names), as a plain record, or a fetch `Headers`. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookInput {
  /** The raw body exactly as received: never a parsed and re-serialised copy. */
  body: Uint8Array;
  headers: HeaderSource;
  /** The secrets the receiver accepts (several during a rotation); a match with any one is enough. */
  secrets: WebhookSecretInput | readonly WebhookSecretInput[];
  /** The receiver's clock, epoch milliseconds. Default `Date.now()`. */
  now?: number;
  /** How far the timestamp may be from `now`, either way. Default 300 seconds. */
  toleranceSeconds?: number;
}

export interface VerifiedWebhook {
  /** `webhook-id`: for carehub the hub id, the same on every retry. */
  id: string;
  timestampSeconds: number;
}

/**
 * Checks a delivery's Standard Webhooks signature. Returns the verified id and timestamp, or throws
 * WebhookSignatureError: a header missing, a timestamp that is not unix seconds or is too far off (either
 * way: an old one is a replay, a future one a forged clock), or no `v1` signature matching any secret.
 * Signatures are compared in constant time.
 */
export function verifyWebhookSignature(input: VerifyWebhookInput): VerifiedWebhook {
  const secrets = toWebhookSecrets(input.secrets);
  const id = header(input.headers, "webhook-id");
  const timestamp = header(input.headers, "webhook-timestamp");
  const signature = header(input.headers, "webhook-signature");
  const missing = [
    ["webhook-id", id],
    ["webhook-timestamp", timestamp],
    ["webhook-signature", signature],
  ].flatMap(([name, value]) => (value === undefined || value === "" ? [name] : []));
  if (id === undefined || timestamp === undefined || signature === undefined || missing.length > 0) {
    throw new WebhookSignatureError(
      WEBHOOK_SIGNATURE_CODES.missing,
      `the delivery is not signed: no ${missing.join(", ")} header`,
    );
  }
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookSignatureError(
      WEBHOOK_SIGNATURE_CODES.timestampInvalid,
      `webhook-timestamp ${JSON.stringify(timestamp.slice(0, 32))} is not whole unix seconds`,
    );
  }
  const timestampSeconds = Number(timestamp);
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const offBy = timestampSeconds - nowSeconds;
  if (Math.abs(offBy) > tolerance) {
    const how = offBy < 0 ? `${-offBy} s old` : `${offBy} s in the future`;
    throw new WebhookSignatureError(
      WEBHOOK_SIGNATURE_CODES.timestampOutOfTolerance,
      `webhook-timestamp is ${how}; at most ${tolerance} s either way is accepted (a replay, or a clock that is off)`,
    );
  }
  const offered = signature
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .map((entry) => Buffer.from(entry.slice(3), "base64"));
  const expected = secrets.map((secret) => digest(secret, id, timestamp, input.body));
  let matched = false;
  // Every pair is compared, so the time taken does not say which secret or signature came close.
  for (const candidate of offered) {
    for (const wanted of expected) {
      if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookSignatureError(
      WEBHOOK_SIGNATURE_CODES.mismatch,
      offered.length === 0
        ? "webhook-signature holds no v1 signature"
        : `none of the ${offered.length} v1 signature(s) matches the body with any of the receiver's ${secrets.length} secret(s)`,
    );
  }
  return { id, timestampSeconds };
}

function digest(secret: WebhookSecret, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac("sha256", secret.hmacKey()).update(`${id}.${timestamp}.`, "utf8").update(body).digest();
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === "function")
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  // A repeated header is refused as missing rather than guessed at.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value as string | undefined;
}
