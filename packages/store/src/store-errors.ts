import { PermanentError, RetryableError } from "@carehub/schemas";

/** Redis did not answer or refused a command; the write can be tried again. */
export class StoreUnavailableError extends RetryableError {
  static readonly code = "CAREHUB_ERR_STORE_UNAVAILABLE";
  constructor(operation: string, cause: unknown) {
    super(StoreUnavailableError.code, `the read model store is unavailable (${operation})`, { cause });
    this.name = "StoreUnavailableError";
  }
}

/** A record kept changing under a compare-and-set for every attempt; another try later will get through. */
export class StoreContendedError extends RetryableError {
  static readonly code = "CAREHUB_ERR_STORE_CONTENDED";
  constructor(key: string, attempts: number) {
    super(StoreContendedError.code, `record ${key} changed concurrently on each of ${attempts} attempts`);
    this.name = "StoreContendedError";
  }
}

/** A listing cursor that this store did not make (or that was altered). */
export class InvalidCursorError extends PermanentError {
  static readonly code = "CAREHUB_ERR_STORE_CURSOR_INVALID";
  constructor() {
    super(InvalidCursorError.code, "the cursor is not one this API returned");
    this.name = "InvalidCursorError";
  }
}

/** A listing query with a bound that is not a time. */
export class InvalidQueryError extends PermanentError {
  static readonly code = "CAREHUB_ERR_STORE_QUERY_INVALID";
  constructor(detail: string) {
    super(InvalidQueryError.code, `invalid query: ${detail}`);
    this.name = "InvalidQueryError";
  }
}

/** A stored record that does not decode: written by an incompatible version, or damaged. */
export class CorruptRecordError extends PermanentError {
  static readonly code = "CAREHUB_ERR_STORE_RECORD_CORRUPT";
  constructor(key: string, cause: unknown) {
    super(CorruptRecordError.code, `stored record ${key} cannot be read; rebuild the read model`, { cause });
    this.name = "CorruptRecordError";
  }
}

export const STORE_ERROR_CODES = [
  StoreUnavailableError.code,
  StoreContendedError.code,
  InvalidCursorError.code,
  InvalidQueryError.code,
  CorruptRecordError.code,
] as const;
