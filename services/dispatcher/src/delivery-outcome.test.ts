import { describe, expect, it } from "vitest";
import { classifyHttpStatus, networkFailure, parseRetryAfter } from "./delivery-outcome.ts";

describe("classifyHttpStatus", () => {
  it("counts every 2xx as delivered", () => {
    for (const status of [200, 201, 202, 204, 299]) expect(classifyHttpStatus(status).ok).toBe(true);
  });

  it("retries 408, 429 and 5xx, blaming the endpoint", () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(classifyHttpStatus(status)).toMatchObject({
        ok: false,
        retryable: true,
        endpointFault: true,
        code: "CAREHUB_ERR_DELIVERY_HTTP_RETRYABLE",
      });
    }
  });

  it("treats other 4xx and unfollowed 3xx as permanent, not as endpoint trouble", () => {
    for (const status of [301, 302, 400, 401, 403, 404, 409, 413, 415, 422]) {
      expect(classifyHttpStatus(status)).toMatchObject({
        ok: false,
        retryable: false,
        endpointFault: false,
        code: "CAREHUB_ERR_DELIVERY_HTTP_REFUSED",
      });
    }
  });

  it("honours Retry-After in seconds or as a date", () => {
    expect(classifyHttpStatus(503, "7")).toMatchObject({ retryAfterMs: 7_000 });
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(classifyHttpStatus(429, "Wed, 01 Jan 2025 00:00:30 GMT", now)).toMatchObject({ retryAfterMs: 30_000 });
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(classifyHttpStatus(503, null)).not.toHaveProperty("retryAfterMs");
  });
});

describe("networkFailure", () => {
  it("names a timeout as a timeout", () => {
    const error = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(networkFailure(error, 250)).toMatchObject({
      retryable: true,
      code: "CAREHUB_ERR_DELIVERY_TIMEOUT",
      message: "no answer within 250 ms",
    });
  });

  it("reports the system error code from the cause chain, not free text", () => {
    const error = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    });
    expect(networkFailure(error, 1)).toMatchObject({
      retryable: true,
      endpointFault: true,
      code: "CAREHUB_ERR_DELIVERY_NETWORK",
      message: "network error: ECONNREFUSED",
    });
  });

  it("tells whether the request may have reached the receiver: not when no connection was made", () => {
    const failure = (code: string) => networkFailure(Object.assign(new Error(code), { code }), 1);
    expect(failure("ECONNREFUSED")).not.toHaveProperty("mayHaveArrived");
    expect(failure("ENOTFOUND")).not.toHaveProperty("mayHaveArrived");
    expect(failure("ECONNRESET")).toMatchObject({ mayHaveArrived: true });
    expect(networkFailure(new DOMException("late", "TimeoutError"), 1)).toMatchObject({ mayHaveArrived: true });
  });
});
