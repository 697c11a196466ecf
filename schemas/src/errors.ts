/**
 * The one error base class of carehub. Every failure carries a stable code (`CAREHUB_ERR_*`,
 * catalogued in docs/errors.md) and says whether retrying could help; the bus maps that flag to
 * JetStream ack / nak(delay) / term + dead letter in one place.
 */
export class CarehubError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CarehubError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

export function isCarehubError(value: unknown): value is CarehubError {
  return value instanceof CarehubError;
}

/** A failure that may succeed later (broker or network trouble, an endpoint that is down). */
export class RetryableError extends CarehubError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: true });
    this.name = "RetryableError";
  }
}

/** A failure that will fail the same way every time (bad content, unknown receiver). */
export class PermanentError extends CarehubError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
    this.name = "PermanentError";
  }
}
