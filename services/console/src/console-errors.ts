import { PermanentError } from "@carehub/schemas";

/** Every code the console's API answers with (catalogued in docs/errors.md, stage console). */
export const CONSOLE_ERROR_CODES = {
  signInFailed: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED",
  signInUnavailable: "CAREHUB_ERR_CONSOLE_SIGN_IN_UNAVAILABLE",
  unauthenticated: "CAREHUB_ERR_CONSOLE_UNAUTHENTICATED",
  forbidden: "CAREHUB_ERR_CONSOLE_FORBIDDEN",
  badRequest: "CAREHUB_ERR_CONSOLE_BAD_REQUEST",
  notFound: "CAREHUB_ERR_CONSOLE_NOT_FOUND",
  notDeadLettered: "CAREHUB_ERR_CONSOLE_NOT_DEAD_LETTERED",
  rerunUnbounded: "CAREHUB_ERR_CONSOLE_RERUN_UNBOUNDED",
  auditUnavailable: "CAREHUB_ERR_CONSOLE_AUDIT_UNAVAILABLE",
  internal: "CAREHUB_ERR_CONSOLE_INTERNAL",
} as const;

/** A console request refused, with the HTTP status to answer; the message is fixed text, never the input. */
export class ConsoleRequestError extends PermanentError {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = "ConsoleRequestError";
    this.statusCode = statusCode;
  }
}
