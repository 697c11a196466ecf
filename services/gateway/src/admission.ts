import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { type EventLoopMonitor, onMetricsCollect, recordGatewayRefusals, watchEventLoop } from "@carehub/observability";
import { GATEWAY_ERROR_CODES } from "./gateway-errors.ts";
import { RetryAfterPolicy } from "./retry-after.ts";

/**
 * The gateway's back-pressure limits (HubConfig: CAREHUB_MAX_INFLIGHT_REQUESTS, CAREHUB_MAX_INFLIGHT_BYTES,
 * CAREHUB_MAX_CONNECTIONS, CAREHUB_MAX_EVENT_LOOP_LAG_MS, CAREHUB_MAX_INGRESS_BACKLOG).
 */
export interface AdmissionLimits {
  maxRequests: number;
  maxBytes: number;
  /** The largest body a request may send: what an upload without Content-Length is counted as. */
  maxBodyBytes: number;
  /** Open connections on the API port beyond which every request is refused (and twice as many are dropped). */
  maxConnections?: number;
  /** Refuse while the event loop is this late (ms); 0 or absent: no such bound. */
  maxEventLoopLagMs?: number;
  /** Refuse new messages while more INGRESS messages than this wait for intake; 0 or absent: no such bound. */
  maxIngressBacklog?: number;
}

/** Why a request was refused: the bound that was reached (the label of carehub_gateway_refusals_total). */
export type RefusalBound = "requests" | "bytes" | "connections" | "event-loop" | "ingress-backlog";

/**
 * Paths answered whatever the load (GET only): liveness, readiness, metrics and the API description. They
 * still count as connections; probes belong on the ops port (CAREHUB_OPS_PORT), which no bound here touches.
 */
const UNMETERED_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/openapi.json"]);

const OVERLOADED_BODY = Buffer.from(
  JSON.stringify({
    code: GATEWAY_ERROR_CODES.overloaded,
    message: "the hub is taking as much as it can right now; send again after Retry-After seconds",
  }),
);
const BACKLOG_BODY = Buffer.from(
  JSON.stringify({
    code: GATEWAY_ERROR_CODES.ingressBacklog,
    message: "the hub is behind with the messages it has already accepted; send again after Retry-After seconds",
  }),
);

/** A refused request whose body is at most this long keeps its connection (node reads and drops the body). */
const KEEP_ALIVE_BODY_BYTES = 64 * 1024;

/**
 * Admission control (issue 16), in the raw `node:http` request handler, before fastify: a request is admitted
 * only while the API port has at most `maxConnections` connections open, the event loop is less than
 * `maxEventLoopLagMs` late (the process's event-loop monitor, @carehub/observability watchEventLoop), fewer than
 * `maxRequests` requests are in flight and its body bytes fit under `maxBytes` together with those of every
 * admitted upload; a message (a POST: the only requests that add to INGRESS) also only while at most
 * `maxIngressBacklog` INGRESS messages wait for intake (`options.ingressBacklog`, read on a timer by
 * ./ingress-backlog.ts). Otherwise it is answered 503 `CAREHUB_ERR_GATEWAY_OVERLOADED` (the backlog:
 * `CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG`) with `Retry-After` (./retry-after.ts) at once: no routing, no
 * authentication, no access record — a refusal costs a parsed request head and one write. The connection is
 * closed when the connections or the bytes were the bound, or the body is large; otherwise it is kept. An upload counts its declared Content-Length (the body limit when it declares none) from admission
 * until its answer is sent or its connection closes, so slow senders cannot hold more memory than the limit.
 */
export function admissionControl(
  limits: AdmissionLimits,
  options: { retryAfter?: RetryAfterPolicy; ingressBacklog?: { current(): number; admitted(): void } } = {},
) {
  if (limits.maxBytes < limits.maxBodyBytes) {
    throw new Error(
      `CAREHUB_MAX_INFLIGHT_BYTES (${limits.maxBytes}) is below the largest accepted message (${limits.maxBodyBytes}): such a message could never be admitted`,
    );
  }
  const retryAfter = options.retryAfter ?? new RetryAfterPolicy();
  let requests = 0;
  let bytes = 0;
  let connections = 0;
  const lagBound = limits.maxEventLoopLagMs ?? 0;
  const backlogBound = limits.maxIngressBacklog ?? 0;
  const ingressBacklog = backlogBound > 0 ? options.ingressBacklog : undefined;
  let eventLoop: EventLoopMonitor | undefined;
  const refusedSinceReport: Record<RefusalBound, number> = {
    requests: 0,
    bytes: 0,
    connections: 0,
    "event-loop": 0,
    "ingress-backlog": 0,
  };
  const refuse = (request: IncomingMessage, response: ServerResponse, bound: RefusalBound): void => {
    refusedSinceReport[bound]++;
    // Keeping the connection makes a refusal cost about half (no new connection for the retry; measured in
    // bench/refusal.bench.ts), but node then reads the unread body to find the next request: only for small
    // bodies, and never when the connections themselves are the bound.
    const keepAlive = bound !== "connections" && bound !== "bytes" && declaredLength(request) <= KEEP_ALIVE_BODY_BYTES;
    const body = bound === "ingress-backlog" ? BACKLOG_BODY : OVERLOADED_BODY;
    if (!keepAlive) response.shouldKeepAlive = false;
    response
      .writeHead(503, {
        "content-type": "application/json; charset=utf-8",
        "content-length": body.byteLength,
        "retry-after": String(retryAfter.refused()),
        ...(keepAlive ? {} : { connection: "close" }),
      })
      .end(body);
  };

  return {
    inFlight: () => ({ requests, bytes, connections, lagMs: eventLoop?.lateMs() ?? 0 }),
    /** Counts the API port's connections; beyond twice the bound node drops new ones unanswered. */
    attach(server: Server): void {
      if (limits.maxConnections !== undefined) server.maxConnections = 2 * limits.maxConnections;
      const stopReporting = onMetricsCollect(() => {
        recordGatewayRefusals(refusedSinceReport, retryAfter.level());
        for (const bound of Object.keys(refusedSinceReport) as RefusalBound[]) refusedSinceReport[bound] = 0;
      });
      // Sustained lateness, not one long task: the monitor's least lateness of its last three ticks.
      if (lagBound > 0) eventLoop = watchEventLoop({ precise: true });
      server.on("connection", (socket) => {
        connections++;
        socket.once("close", () => {
          connections--;
        });
      });
      server.once("close", () => {
        eventLoop?.release();
        stopReporting();
      });
    },
    /** True when the request may go on to fastify; false when it was refused (and answered) here. */
    admit(request: IncomingMessage, response: ServerResponse): boolean {
      if (limits.maxConnections !== undefined && connections > limits.maxConnections) {
        refuse(request, response, "connections");
        return false;
      }
      if (request.method === "GET" && UNMETERED_PATHS.has(pathOf(request.url))) return true;
      if (eventLoop !== undefined && eventLoop.lateMs() > lagBound) {
        refuse(request, response, "event-loop");
        return false;
      }
      const addsToIngress = ingressBacklog !== undefined && request.method === "POST";
      if (addsToIngress && ingressBacklog.current() > backlogBound) {
        refuse(request, response, "ingress-backlog");
        return false;
      }
      if (requests + 1 > limits.maxRequests) {
        refuse(request, response, "requests");
        return false;
      }
      const cost = bodyCost(request, limits.maxBodyBytes);
      if (bytes + cost > limits.maxBytes) {
        refuse(request, response, "bytes");
        return false;
      }
      requests += 1;
      bytes += cost;
      if (addsToIngress) ingressBacklog.admitted();
      response.once("close", () => {
        requests -= 1;
        bytes -= cost;
      });
      return true;
    },
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return "";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** The body length a request declares; chunked uploads (no length) count as unbounded. */
function declaredLength(request: IncomingMessage): number {
  const declared = request.headers["content-length"];
  if (declared !== undefined) return Number(declared);
  return request.headers["transfer-encoding"] === undefined ? 0 : Number.POSITIVE_INFINITY;
}

/** The bytes a request may bring: its declared length (at most the body limit), the limit when it declares none. */
function bodyCost(request: IncomingMessage, maxBodyBytes: number): number {
  const declared = request.headers["content-length"];
  if (declared !== undefined) {
    const length = Number(declared);
    return Number.isFinite(length) && length >= 0 ? Math.min(length, maxBodyBytes) : maxBodyBytes;
  }
  return request.headers["transfer-encoding"] === undefined ? 0 : maxBodyBytes;
}
