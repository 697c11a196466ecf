import { PermanentError } from "@carehub/schemas";

/** Codes of this package (docs/errors.md, "Webhook signatures"). None is retryable: the same bytes fail again. */
export const WEBHOOK_SIGNATURE_CODES = Object.freeze({
  /** A signing secret is not `whsec_` + base64 of 24 to 64 key bytes. */
  secretInvalid: "CAREHUB_ERR_WEBHOOK_SECRET_INVALID",
  /** A delivery lacks `webhook-id`, `webhook-timestamp` or `webhook-signature`. */
  missing: "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISSING",
  /** `webhook-timestamp` is not whole unix seconds. */
  timestampInvalid: "CAREHUB_ERR_WEBHOOK_TIMESTAMP_INVALID",
  /** `webhook-timestamp` is further from the receiver's clock than the tolerance (default 5 minutes). */
  timestampOutOfTolerance: "CAREHUB_ERR_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE",
  /** No `v1` signature in `webhook-signature` matches any of the receiver's secrets. */
  mismatch: "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH",
});
export type WebhookSignatureCode = (typeof WEBHOOK_SIGNATURE_CODES)[keyof typeof WEBHOOK_SIGNATURE_CODES];

/**
 * A delivery that must not be trusted, or a secret that cannot be used. The message says precisely what is
 * wrong and never contains a secret or a signature the receiver computed.
 */
export class WebhookSignatureError extends PermanentError {
  constructor(code: WebhookSignatureCode, message: string) {
    super(code, message);
    this.name = "WebhookSignatureError";
  }
}

export function isWebhookSignatureError(value: unknown): value is WebhookSignatureError {
  return value instanceof WebhookSignatureError;
}
