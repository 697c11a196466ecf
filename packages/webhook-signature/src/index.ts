export {
  generateWebhookSecret,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  toWebhookSecrets,
  WEBHOOK_SECRET_PREFIX,
  WebhookSecret,
  type WebhookSecretInput,
  webhookSecretProblem,
} from "./webhook-secret.ts";
export {
  DEFAULT_TOLERANCE_SECONDS,
  type HeaderSource,
  type SignWebhookInput,
  signWebhook,
  type VerifiedWebhook,
  type VerifyWebhookInput,
  verifyWebhookSignature,
  type WebhookSignatureHeaders,
} from "./webhook-signature.ts";
export {
  isWebhookSignatureError,
  WEBHOOK_SIGNATURE_CODES,
  type WebhookSignatureCode,
  WebhookSignatureError,
} from "./webhook-signature-error.ts";
