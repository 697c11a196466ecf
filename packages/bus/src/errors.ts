import { CarehubError, PermanentError, RetryableError } from "@carehub/schemas";

/** Every code `packages/bus` raises; each is listed in docs/errors.md (section "Bus"). */
export const BUS_ERROR_CODES = [
  "CAREHUB_ERR_BUS_INVALID_NAME",
  "CAREHUB_ERR_BUS_CONNECT_FAILED",
  "CAREHUB_ERR_BUS_INCOMPATIBLE_STREAM",
  "CAREHUB_ERR_BUS_INCOMPATIBLE_CONSUMER",
  "CAREHUB_ERR_BUS_PROVISION_FAILED",
  "CAREHUB_ERR_BUS_PUBLISH_FAILED",
  "CAREHUB_ERR_BUS_PUBLISH_REJECTED",
  "CAREHUB_ERR_BUS_DECODE_FAILED",
  "CAREHUB_ERR_BUS_HANDLER_FAILED",
  "CAREHUB_ERR_BUS_MAX_DELIVERIES",
  "CAREHUB_ERR_BUS_REDRIVE_FAILED",
  "CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN",
  "CAREHUB_ERR_BUS_PAYLOAD_UNREADABLE",
  "CAREHUB_ERR_BUS_CLAIM_CHECK_MISSING",
  "CAREHUB_ERR_BUS_CLAIM_CHECK_UNAVAILABLE",
  "CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING",
  "CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_INVALID",
  "CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_UNAVAILABLE",
] as const;
export type BusErrorCode = (typeof BUS_ERROR_CODES)[number];

/** A namespace, subject token or durable name that NATS would not accept (or would read as a wildcard). */
export class BusNameError extends PermanentError {
  constructor(message: string) {
    super("CAREHUB_ERR_BUS_INVALID_NAME", message);
    this.name = "BusNameError";
  }
}

/** The NATS connection could not be opened (server down, bad credentials, DNS). */
export class BusConnectError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_CONNECT_FAILED", message, options);
    this.name = "BusConnectError";
  }
}

/**
 * Provisioning found an existing stream or consumer it cannot safely turn into the wanted one, or the
 * server refused a create/update. `problems` lists every incompatible field, all at once.
 */
export class BusProvisionError extends PermanentError {
  readonly problems: readonly string[];
  constructor(
    code:
      | "CAREHUB_ERR_BUS_INCOMPATIBLE_STREAM"
      | "CAREHUB_ERR_BUS_INCOMPATIBLE_CONSUMER"
      | "CAREHUB_ERR_BUS_PROVISION_FAILED",
    problems: readonly string[],
    options: { cause?: unknown } = {},
  ) {
    super(code, `JetStream provisioning failed:\n  ${problems.join("\n  ")}`, options);
    this.name = "BusProvisionError";
    this.problems = problems;
  }
}

/** A publish was not confirmed by JetStream (timeout, no responders, connection trouble): try again. */
export class BusPublishError extends RetryableError {
  readonly subject: string;
  constructor(subject: string, message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_PUBLISH_FAILED", message, options);
    this.name = "BusPublishError";
    this.subject = subject;
  }
}

/** JetStream refused the message itself (too large, wrong expected stream): retrying cannot help. */
export class BusPublishRejectedError extends PermanentError {
  readonly subject: string;
  constructor(subject: string, message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_PUBLISH_REJECTED", message, options);
    this.name = "BusPublishRejectedError";
    this.subject = subject;
  }
}

/** A consumer's `decode` threw: the bytes can never become the expected body. */
export class BusDecodeError extends PermanentError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_DECODE_FAILED", message, options);
    this.name = "BusDecodeError";
  }
}

/** A handler threw something that is not a CarehubError: treated as permanent (a bug does not heal by retrying). */
export class BusHandlerError extends PermanentError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_HANDLER_FAILED", message, options);
    this.name = "BusHandlerError";
  }
}

/** A message came back more often than `maxDeliver` without an answer (its handler crashed or hung each time). */
export class BusMaxDeliveriesError extends PermanentError {
  constructor(deliveries: number) {
    super("CAREHUB_ERR_BUS_MAX_DELIVERIES", `delivered ${deliveries} times without being acknowledged`);
    this.name = "BusMaxDeliveriesError";
  }
}

/** A dead letter could not be put back on its original subject. */
export class BusRedriveError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_REDRIVE_FAILED", message, options);
    this.name = "BusRedriveError";
  }
}

/**
 * A stored payload was sealed with a key the keyring (CAREHUB_PAYLOAD_KEYS) no longer holds, or the hub runs
 * without a keyring. Not retryable: the message is dead-lettered as stored; put the key back and redrive it.
 */
export class BusPayloadKeyUnknownError extends PermanentError {
  readonly keyId: string;
  constructor(keyId: string) {
    super(
      "CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN",
      `the payload is sealed with key ${JSON.stringify(keyId)}, which CAREHUB_PAYLOAD_KEYS does not hold`,
    );
    this.name = "BusPayloadKeyUnknownError";
    this.keyId = keyId;
  }
}

/** A sealed payload did not authenticate under its key (altered, truncated, or a different key under the same id). */
export class BusPayloadUnreadableError extends PermanentError {
  readonly keyId: string;
  constructor(keyId: string, options: { cause?: unknown } = {}) {
    super(
      "CAREHUB_ERR_BUS_PAYLOAD_UNREADABLE",
      `the payload sealed with key ${JSON.stringify(keyId)} does not authenticate: altered, or another key under that id`,
      options,
    );
    this.name = "BusPayloadUnreadableError";
    this.keyId = keyId;
  }
}

/** A message names a claim-checked payload its bucket no longer holds (aged out with the retention, or deleted). */
export class BusClaimCheckMissingError extends PermanentError {
  constructor(object: string) {
    super("CAREHUB_ERR_BUS_CLAIM_CHECK_MISSING", `the claim-checked payload ${object} is no longer stored`);
    this.name = "BusClaimCheckMissingError";
  }
}

/** The claim-check bucket could not be read or written just now (NATS trouble, no bucket yet): try again. */
export class BusClaimCheckUnavailableError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_CLAIM_CHECK_UNAVAILABLE", message, options);
    this.name = "BusClaimCheckUnavailableError";
  }
}

/**
 * A message carries its payload by reference to the INGRESS copy (`Carehub-Payload-Ref`, docs/decisions/0109) and
 * that copy is no longer stored (aged out, purged by hand): never delivered empty, dead-lettered with this code.
 */
export class BusPayloadReferenceMissingError extends PermanentError {
  constructor(reference: string, options: { cause?: unknown } = {}) {
    super(
      "CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING",
      `the referenced payload ${reference} is no longer stored`,
      options,
    );
    this.name = "BusPayloadReferenceMissingError";
  }
}

/**
 * A payload reference that cannot be followed to the right bytes: malformed, pointing outside INGRESS, or at a
 * message of another size or digest (a stream re-created under the same name): never delivered, dead-lettered.
 */
export class BusPayloadReferenceInvalidError extends PermanentError {
  constructor(message: string) {
    super("CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_INVALID", message);
    this.name = "BusPayloadReferenceInvalidError";
  }
}

/** The INGRESS copy a payload reference names could not be read just now (NATS trouble): try again. */
export class BusPayloadReferenceUnavailableError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_UNAVAILABLE", message, options);
    this.name = "BusPayloadReferenceUnavailableError";
  }
}

/**
 * Whether a read failed on a payload reference (missing, invalid or unavailable just now) rather than on the stream
 * itself: the one list of those errors, for callers that skip such a message instead of failing (a re-send batch).
 */
export function isPayloadReferenceError(
  error: unknown,
): error is BusPayloadReferenceMissingError | BusPayloadReferenceInvalidError | BusPayloadReferenceUnavailableError {
  return (
    error instanceof BusPayloadReferenceMissingError ||
    error instanceof BusPayloadReferenceInvalidError ||
    error instanceof BusPayloadReferenceUnavailableError
  );
}

/** Whatever a handler threw, as a CarehubError (unknown errors become a permanent BusHandlerError). */
export function toCarehubError(error: unknown): CarehubError {
  if (error instanceof CarehubError) return error;
  if (error instanceof Error) return new BusHandlerError(`${error.name}: ${error.message}`, { cause: error });
  return new BusHandlerError(`non-error thrown: ${String(error)}`);
}
