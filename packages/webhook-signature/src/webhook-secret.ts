import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { WEBHOOK_SIGNATURE_CODES, WebhookSignatureError } from "./webhook-signature-error.ts";

/** The Standard Webhooks prefix of a symmetric (HMAC-SHA256) secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The spec's bounds for a symmetric key: at least 192 bits, at most 512. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * What is wrong with a secret's text, or undefined when it is a usable `whsec_<base64>` secret. The answer
 * never quotes the text, so it can go into logs and error lists.
 */
export function webhookSecretProblem(text: string): string | undefined {
  if (!text.startsWith(WEBHOOK_SECRET_PREFIX)) return `a webhook secret starts with ${WEBHOOK_SECRET_PREFIX}`;
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return `a webhook secret is ${WEBHOOK_SECRET_PREFIX} followed by standard base64`;
  const bytes = Buffer.byteLength(encoded, "base64");
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    return `a webhook secret holds ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} key bytes, this one ${bytes}`;
  }
  return undefined;
}

/**
 * One HMAC-SHA256 key. The bytes stay private: JSON, `util.inspect` and string conversion all show
 * `whsec_[redacted]`, so a secret that ends up in a log line by mistake says nothing.
 */
export class WebhookSecret {
  readonly #key: Buffer;
  /** The key as OpenSSL holds it, made once: a Buffer given to createHmac is imported again on every call. */
  readonly #hmacKey: KeyObject;

  private constructor(key: Buffer) {
    this.#key = key;
    this.#hmacKey = createSecretKey(key);
  }

  /** Parses `whsec_<base64>`; throws WebhookSignatureError (CAREHUB_ERR_WEBHOOK_SECRET_INVALID) otherwise. */
  static parse(text: string): WebhookSecret {
    const problem = webhookSecretProblem(text);
    if (problem !== undefined) throw new WebhookSignatureError(WEBHOOK_SIGNATURE_CODES.secretInvalid, problem);
    return new WebhookSecret(Buffer.from(text.slice(WEBHOOK_SECRET_PREFIX.length), "base64"));
  }

  /** The key bytes, for computing an HMAC. */
  key(): Buffer {
    return this.#key;
  }

  /** The same key as a KeyObject: what signing and verification hand to createHmac (about 20 µs less each). */
  hmacKey(): KeyObject {
    return this.#hmacKey;
  }

  toJSON(): string {
    return `${WEBHOOK_SECRET_PREFIX}[redacted]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** A new random secret in the Standard Webhooks form (`whsec_` + base64 of 32 random bytes). */
export function generateWebhookSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new WebhookSignatureError(
      WEBHOOK_SIGNATURE_CODES.secretInvalid,
      `a webhook secret holds ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} key bytes, not ${bytes}`,
    );
  }
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(bytes).toString("base64")}`;
}

/** Secrets as callers give them: parsed ones, or `whsec_…` text. */
export type WebhookSecretInput = WebhookSecret | string;

export function toWebhookSecrets(secrets: WebhookSecretInput | readonly WebhookSecretInput[]): WebhookSecret[] {
  const list = typeof secrets === "string" || secrets instanceof WebhookSecret ? [secrets] : secrets;
  if (list.length === 0) {
    throw new WebhookSignatureError(WEBHOOK_SIGNATURE_CODES.secretInvalid, "no webhook secret was given");
  }
  return list.map((secret) => (typeof secret === "string" ? WebhookSecret.parse(secret) : secret));
}
