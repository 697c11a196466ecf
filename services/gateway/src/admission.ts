import type { FastifyReply, FastifyRequest } from "fastify";
import { GATEWAY_ERROR_CODES } from "./gateway-errors.ts";

/** The gateway's back-pressure limits (HubConfig: CAREHUB_MAX_INFLIGHT_REQUESTS, CAREHUB_MAX_INFLIGHT_BYTES). */
export interface AdmissionLimits {
  maxRequests: number;
  maxBytes: number;
  /** The largest body a request may send: what an upload without Content-Length is counted as. */
  maxBodyBytes: number;
}

/** Seconds a refused caller is told to wait (`Retry-After`): long enough for a few requests to finish. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/** Route config of routes that are always answered (health, readiness, metrics): they must answer under load. */
export const UNMETERED = { config: { unmetered: true } } as const;

/**
 * Admission control (issue 16): a request is admitted only while fewer than `maxRequests` are in flight and
 * its body bytes fit under `maxBytes` together with those of every admitted upload; otherwise it is answered
 * 503 `CAREHUB_ERR_GATEWAY_OVERLOADED` with `Retry-After` at once, before authentication and before a byte of
 * its body is read. An upload counts its declared Content-Length (the body limit when it declares none) from
 * admission until its answer is sent or its connection closes, so slow senders cannot hold more memory than
 * the limit, however slowly they send. Unmetered routes (UNMETERED) are always admitted.
 */
export function admissionControl(limits: AdmissionLimits) {
  if (limits.maxBytes < limits.maxBodyBytes) {
    throw new Error(
      `CAREHUB_MAX_INFLIGHT_BYTES (${limits.maxBytes}) is below the largest accepted message (${limits.maxBodyBytes}): such a message could never be admitted`,
    );
  }
  let requests = 0;
  let bytes = 0;
  return {
    inFlight: () => ({ requests, bytes }),
    onRequest: async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      if ((request.routeOptions.config as { unmetered?: boolean }).unmetered === true) return undefined;
      const cost = bodyCost(request, limits.maxBodyBytes);
      if (requests + 1 > limits.maxRequests || bytes + cost > limits.maxBytes) {
        reply.code(503).header("retry-after", String(OVERLOAD_RETRY_AFTER_SECONDS)).header("connection", "close");
        // Answered from the hook: nothing after it runs (no authentication, no body read, no access record).
        return reply.send({
          code: GATEWAY_ERROR_CODES.overloaded,
          message: "the hub is taking as much as it can right now; send again after Retry-After seconds",
        });
      }
      requests += 1;
      bytes += cost;
      let released = false;
      reply.raw.once("close", () => {
        if (released) return;
        released = true;
        requests -= 1;
        bytes -= cost;
      });
      return undefined;
    },
  };
}

/** The bytes a request may bring: its declared length (at most the body limit), the limit when it declares none. */
function bodyCost(request: FastifyRequest, maxBodyBytes: number): number {
  const declared = request.headers["content-length"];
  if (declared !== undefined) {
    const length = Number(declared);
    return Number.isFinite(length) && length >= 0 ? Math.min(length, maxBodyBytes) : maxBodyBytes;
  }
  return request.headers["transfer-encoding"] === undefined ? 0 : maxBodyBytes;
}
