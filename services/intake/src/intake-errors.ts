import { PermanentError, RetryableError } from "@carehub/schemas";

/** Every code intake reports (catalogued in docs/errors.md, stage intake). */
export const INTAKE_ERROR_CODES = {
  /** The sender named in the message is not the endpoint that sent it (no spoofing). */
  senderMismatch: "CAREHUB_ERR_INTAKE_SENDER_MISMATCH",
  /** The registry does not let the sending endpoint send this kind of message. */
  kindNotAllowed: "CAREHUB_ERR_INTAKE_KIND_NOT_ALLOWED",
  /** The INGRESS message names a source endpoint the registry does not know (any more). */
  unknownSource: "CAREHUB_ERR_INTAKE_UNKNOWN_SOURCE",
  /** A message on the hub's own INGRESS subject (a status return) failed its checks: dead-lettered. */
  hubMessageRejected: "CAREHUB_ERR_INTAKE_HUB_MESSAGE_REJECTED",
  /** Rejected, and no MedCom acknowledgement can be made for it (format or message id unknown). */
  unanswerable: "CAREHUB_ERR_INTAKE_UNANSWERABLE",
  /** The INGRESS message lacks what intake needs (subject outside the namespace, bad headers). */
  badIngressMessage: "CAREHUB_ERR_INTAKE_BAD_INGRESS_MESSAGE",
  /** Redis could not be reached: try again later. */
  storeUnavailable: "CAREHUB_ERR_INTAKE_STORE_UNAVAILABLE",
  /** A correction or retraction waits until every INGRESS message before it (its original among them) is done. */
  waitingForEarlier: "CAREHUB_ERR_INTAKE_WAITING_FOR_EARLIER",
} as const;

/** A message intake cannot process and cannot answer: dead-lettered (the bytes stay in INGRESS). */
export class IntakeDeadLetterError extends PermanentError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = "IntakeDeadLetterError";
  }
}

/** Redis trouble: the bus naks the message with a delay and it comes back. */
export class IntakeStoreUnavailableError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(INTAKE_ERROR_CODES.storeUnavailable, message, options);
    this.name = "IntakeStoreUnavailableError";
  }
}

/**
 * A correction or retraction whose original may still be ahead of it (an earlier INGRESS message not finished: held
 * by an intake that crashed, or by another copy): a planned wait, the bus naks it for `retryInMs`.
 */
export class IntakeWaitingForEarlierError extends RetryableError {
  readonly retryInMs: number;
  constructor(retryInMs: number, options: { cause?: unknown } = {}) {
    super(
      INTAKE_ERROR_CODES.waitingForEarlier,
      "waiting for the messages before it on INGRESS to be finished first",
      options,
    );
    this.name = "IntakeWaitingForEarlierError";
    this.retryInMs = retryInMs;
  }
}
