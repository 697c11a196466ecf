import { createServer, type RequestListener, type Server } from "node:http";
import { inlineMessageLimit, largestAcceptedMessage, serverMaxPayload } from "@carehub/bus";
import { readMessageIdentity } from "@carehub/formats";
import { MessageLedger } from "@carehub/ledger";
import { recordHttpRequest, timeOrderedId } from "@carehub/observability";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerFactory,
  LogController,
} from "fastify";
import type { AcceptMessageDeps } from "./accept-message.ts";
import { admissionControl } from "./admission.ts";
import { busAuditTrail } from "./audit-trail.ts";
import type { GatewayDeps } from "./gateway-deps.ts";
import { errorAnswer, GATEWAY_ERROR_CODES } from "./gateway-errors.ts";
import { type IngressBacklog, watchIngressBacklog } from "./ingress-backlog.ts";
import { messageRoute } from "./message-route.ts";
import { operationalRoutes } from "./operational-routes.ts";
import { queryRoutes } from "./query-routes.ts";

/** Fastify's own default (72 s: longer than the idle timeout of common load balancers in front of it). */
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * The gateway's fastify app, not yet listening (tests use `app.inject`). Every error answer has the one
 * shape `{code, message}`; 5xx are logged, 4xx are the caller's business.
 */
export async function createGatewayApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const maxMessageBytes = largestMessage(deps);
  // Back-pressure first, before fastify sees the request (./admission.ts); the process-level configuration
  // always sets it. Tests that build a gateway without the limits get none.
  const { maxInflightRequests, maxInflightBytes, maxConnections, maxEventLoopLagMs, maxIngressBacklog } = deps.config;
  const admitting = maxInflightRequests !== undefined && maxInflightBytes !== undefined;
  // The intake backlog is read on a timer (./ingress-backlog.ts), never per request, from when the app is ready
  // until it closes; only with a bound.
  const watchingBacklog = admitting && maxIngressBacklog !== undefined && maxIngressBacklog > 0;
  let ingressBacklog: IngressBacklog | undefined;
  const admission = !admitting
    ? undefined
    : admissionControl(
        {
          maxRequests: maxInflightRequests,
          maxBytes: maxInflightBytes,
          maxBodyBytes: maxMessageBytes,
          ...(maxConnections === undefined ? {} : { maxConnections }),
          ...(maxEventLoopLagMs === undefined ? {} : { maxEventLoopLagMs }),
          ...(maxIngressBacklog === undefined ? {} : { maxIngressBacklog }),
        },
        watchingBacklog
          ? {
              ingressBacklog: {
                current: () => ingressBacklog?.current() ?? 0,
                admitted: () => ingressBacklog?.admitted(),
              },
            }
          : {},
      );
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger as FastifyBaseLogger }),
    // One line per request is noise at the volumes a hub sees; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // The body limit is per route (the message route); other routes take no bodies.
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // Request ids are quoted in access records for years (docs/decisions/0012): unique, not a per-process counter.
    genReqId: () => timeOrderedId(),
    // A body that has not fully arrived by then is cut off: a slow sender holds its admission only so long.
    ...(deps.config.requestTimeoutMs === undefined ? {} : { requestTimeout: deps.config.requestTimeoutMs }),
    // Fastify's own answer to a URL it cannot decode repeats the URL; ours is a fixed text.
    frameworkErrors: (error, _request, reply) => {
      const answer = errorAnswer(error);
      void (reply as FastifyReply).code(answer.statusCode).send(answer.body);
    },
    ...(admission === undefined
      ? {}
      : {
          // The HTTP server fastify would make, with admission in front of fastify's handler.
          serverFactory: ((handler: RequestListener) => {
            const server = createServer((request, response) => {
              if (admission.admit(request, response)) handler(request, response);
            });
            server.keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
            if (deps.config.requestTimeoutMs !== undefined) server.requestTimeout = deps.config.requestTimeoutMs;
            admission.attach(server);
            return server;
          }) satisfies FastifyServerFactory<Server>,
        }),
  });
  if (watchingBacklog) {
    app.addHook("onReady", async () => {
      ingressBacklog = watchIngressBacklog(deps.bus, deps.logger === undefined ? {} : { logger: deps.logger });
    });
    app.addHook("onClose", async () => ingressBacklog?.stop());
  }
  // Every answer counted by route pattern (never the URL, whose ids would make a series per message).
  app.addHook("onResponse", async (request, reply) => {
    recordHttpRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((error, request, reply) => {
    const answer = errorAnswer(error, { maxMessageBytes });
    if (answer.statusCode >= 500) {
      deps.logger?.error({ err: error, method: request.method, route: request.routeOptions.url }, "request failed");
    }
    return reply.code(answer.statusCode).send(answer.body);
  });
  // A fixed text: the path is the caller's and may hold anything, a CPR number included (see /openapi.json).
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .send({ code: GATEWAY_ERROR_CODES.notFound, message: "no such route; the API is described at /openapi.json" }),
  );

  const acceptDeps: AcceptMessageDeps = {
    bus: deps.bus,
    ledger: new MessageLedger({
      redis: deps.redis,
      namespace: deps.bus.topology.namespace,
      retentionDays: deps.config.retentionDays,
      hubEndpointId: deps.registry.current().hub.id,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    }),
    readIdentity: deps.readIdentity ?? readMessageIdentity,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  };
  await app.register(messageRoute(deps, acceptDeps, maxMessageBytes));
  await app.register(operationalRoutes(deps));
  // The query API (./query-routes.ts) over the read model; answers 503 without a store. Operators (registry
  // `operators`) read everything, endpoints only their own; every request leaves an access record on AUDIT.
  const patientHash = (deps.store as { patientHash?: unknown } | undefined)?.patientHash;
  await app.register(queryRoutes, {
    store: deps.store,
    registry: deps.registry,
    authenticateOperator: (token) => deps.registry.current().authenticateOperator(token),
    audit: deps.audit ?? busAuditTrail(deps.bus),
    ...(typeof patientHash === "function"
      ? { patientHash: (identifier: string) => String(patientHash.call(deps.store, identifier)) }
      : {}),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
  return app;
}

/**
 * The largest message this gateway accepts: the one limit (packages/bus message-size.ts), CAREHUB_MAX_BODY_BYTES;
 * what the NATS server's max_payload cannot hold travels by claim check (packages/bus claim-check.ts).
 */
function largestMessage(deps: GatewayDeps): number {
  const natsMaxPayload = serverMaxPayload(deps.bus.nc);
  const limit = largestAcceptedMessage(natsMaxPayload, deps.config.maxBodyBytes);
  const inline = inlineMessageLimit(natsMaxPayload);
  if (inline < limit) {
    deps.logger?.info(
      { maxMessageBytes: limit, inlineBytes: inline, natsMaxPayload },
      "messages larger than the NATS server's max_payload leaves room for go by claim check",
    );
  }
  return limit;
}
