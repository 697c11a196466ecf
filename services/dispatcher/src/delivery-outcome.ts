import { DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";

/** The result of one call to an endpoint. */
export type DeliveryOutcome =
  | { ok: true; status?: number }
  | {
      ok: false;
      /** Whether trying again could help; a permanent failure dead-letters at once. */
      retryable: boolean;
      /** Whether the failure says the endpoint is unwell (counts towards opening its circuit). */
      endpointFault: boolean;
      code: string;
      message: string;
      /** The endpoint asked for this pause (Retry-After). */
      retryAfterMs?: number;
      /**
       * The request may have reached the receiver though no answer came (a timeout, a connection cut after it was
       * sent): the next attempt may be a wire duplicate.
       */
      mayHaveArrived?: true;
    };

/**
 * HTTP webhook answers (docs/contracts.md): any 2xx is a delivery; 408, 429 and 5xx are retried;
 * every other status — other 4xx, and 3xx, which the dispatcher does not follow — is a permanent failure.
 */
export function classifyHttpStatus(status: number, retryAfter?: string | null, now = Date.now()): DeliveryOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return {
      ok: false,
      retryable: true,
      endpointFault: true,
      code: DISPATCH_ERROR_CODES.httpRetryable,
      message: `the endpoint answered HTTP ${status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return {
    ok: false,
    retryable: false,
    endpointFault: false,
    code: DISPATCH_ERROR_CODES.httpRefused,
    message: `the endpoint refused the message with HTTP ${status}`,
  };
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A network-level failure (no HTTP answer): always retryable and always the endpoint's fault. */
export function networkFailure(error: unknown, timeoutMs: number): DeliveryOutcome {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      ok: false,
      retryable: true,
      endpointFault: true,
      code: DISPATCH_ERROR_CODES.timeout,
      message: `no answer within ${timeoutMs} ms`,
      mayHaveArrived: true,
    };
  }
  const code = networkErrorCode(error);
  return {
    ok: false,
    retryable: true,
    endpointFault: true,
    code: DISPATCH_ERROR_CODES.network,
    message: `network error: ${code}`,
    ...(NEVER_SENT.has(code) ? {} : { mayHaveArrived: true }),
  };
}

/** Network errors that mean no connection was made, so the request cannot have reached the receiver. */
const NEVER_SENT: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_INVALID_URL",
]);

/** The system error code (ECONNREFUSED, ECONNRESET, …) behind a fetch failure, never its free text. */
function networkErrorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : "unknown";
}
