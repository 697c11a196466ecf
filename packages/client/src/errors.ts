import { CarehubError, PermanentError, RetryableError } from "@carehub/schemas";

/** HTTP statuses after which the same request may succeed later (the gateway's contract). */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || status >= 500;
}

/**
 * The hub answered with an error body `{ code, message }`. `code` is the gateway's own stable code
 * (e.g. CAREHUB_ERR_GATEWAY_UNAUTHENTICATED), so callers can branch on it; `retryable` follows the status.
 */
export class HubRequestError extends CarehubError {
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(code, message, { retryable: isRetryableStatus(status) });
    this.name = "HubRequestError";
    this.status = status;
  }
}

/** The hub could not be reached (connection refused, reset, DNS) or did not answer in time. */
export class HubUnreachableError extends RetryableError {
  constructor(message: string, cause: unknown) {
    super("CAREHUB_ERR_CLIENT_HUB_UNREACHABLE", message, { cause });
    this.name = "HubUnreachableError";
  }
}

/** The hub answered something that is not the documented response (a proxy page, a truncated body). */
export class HubResponseError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_CLIENT_BAD_RESPONSE", message, options);
    this.name = "HubResponseError";
  }
}

/** A delivered message could not be read well enough to acknowledge it (no message id, no sender). */
export class UnreadableDeliveryError extends PermanentError {
  constructor(message: string) {
    super("CAREHUB_ERR_CLIENT_UNREADABLE_DELIVERY", message);
    this.name = "UnreadableDeliveryError";
  }
}

/** A sent message got no acknowledgement after every resend the policy allows (MedCom: 30 min, 2 resends). */
export class AcknowledgementMissingError extends PermanentError {
  readonly messageId: string;
  readonly attempts: number;

  constructor(messageId: string, attempts: number) {
    super("CAREHUB_ERR_CLIENT_ACK_MISSING", `no acknowledgement after ${attempts} transmissions`);
    this.name = "AcknowledgementMissingError";
    this.messageId = messageId;
    this.attempts = attempts;
  }
}

/** A message body the SDK cannot re-stamp for a resend (not FHIR JSON / XML or OIOXML). */
export class UnsupportedMessageError extends PermanentError {
  constructor(message: string) {
    super("CAREHUB_ERR_CLIENT_UNSUPPORTED_MESSAGE", message);
    this.name = "UnsupportedMessageError";
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof CarehubError) return error.retryable;
  return typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;
}
