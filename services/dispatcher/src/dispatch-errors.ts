import { PermanentError, RetryableError } from "@carehub/schemas";

/** Stable codes the dispatcher raises (catalogued in docs/errors.md, stage dispatcher). */
export const DISPATCH_ERROR_CODES = {
  httpRetryable: "CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE",
  httpRefused: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED",
  network: "CAREHUB_ERR_DELIVERY_NETWORK",
  timeout: "CAREHUB_ERR_DELIVERY_TIMEOUT",
  inboxPublish: "CAREHUB_ERR_DELIVERY_INBOX_PUBLISH",
  attemptsExhausted: "CAREHUB_ERR_DELIVERY_ATTEMPTS_EXHAUSTED",
  retryWindowPassed: "CAREHUB_ERR_DELIVERY_RETRY_WINDOW_PASSED",
  predecessorDead: "CAREHUB_ERR_DELIVERY_PREDECESSOR_DEAD_LETTERED",
  outboxInvalid: "CAREHUB_ERR_DELIVERY_OUTBOX_MESSAGE_INVALID",
  endpointUnknown: "CAREHUB_ERR_DELIVERY_ENDPOINT_UNKNOWN",
  stateUnavailable: "CAREHUB_ERR_DELIVERY_STATE_UNAVAILABLE",
  expired: "CAREHUB_ERR_DELIVERY_EXPIRED",
} as const;

/** One failed delivery attempt, as kept in the attempt history and written to the dead letter. */
export interface AttemptRecord {
  attempt: number;
  at: string;
  code: string;
  message: string;
}

/**
 * The last attempt failed and no more are allowed (or the failure can never succeed): the message goes to
 * the dead-letter queue with the full attempt history in its message.
 */
export class DeliveryDeadLetter extends PermanentError {
  readonly endpoint: string;
  readonly history: readonly AttemptRecord[];
  readonly reason: { code: string; message: string };

  constructor(endpoint: string, reason: { code: string; message: string }, history: readonly AttemptRecord[]) {
    const lines = history.map((h) => `#${h.attempt} ${h.at} ${h.code}: ${h.message}`);
    super(
      reason.code,
      `delivery to ${endpoint} dead-lettered: ${reason.message}${lines.length > 0 ? `; attempts: ${lines.join(" | ")}` : ""}`,
    );
    this.name = "DeliveryDeadLetter";
    this.endpoint = endpoint;
    this.history = history;
    this.reason = reason;
  }
}

/** An OUTBOX message without the headers the contract requires: nothing sensible can be delivered. */
export class OutboxMessageInvalidError extends PermanentError {
  constructor(detail: string) {
    super(DISPATCH_ERROR_CODES.outboxInvalid, `OUTBOX message is not deliverable: ${detail}`);
    this.name = "OutboxMessageInvalidError";
  }
}

/** Redis did not answer: delivery state cannot be checked, so the message waits (no attempt is counted). */
export class DispatchStateUnavailableError extends RetryableError {
  constructor(operation: string, options: { cause?: unknown } = {}) {
    super(DISPATCH_ERROR_CODES.stateUnavailable, `delivery state unavailable while ${operation}`, options);
    this.name = "DispatchStateUnavailableError";
  }
}
