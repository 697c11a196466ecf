import { extractTraceContext, SpanKind, withSpan } from "@carehub/observability";
import type { Endpoint } from "@carehub/schemas";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type AcceptMessageDeps, acceptMessage } from "./accept-message.ts";
import { checkDecodable } from "./body-decoding.ts";
import type { GatewayDeps } from "./gateway-deps.ts";
import { GATEWAY_ERROR_CODES, GatewayRequestError, unauthenticated } from "./gateway-errors.ts";
import { lazyChildLogger } from "./lazy-request-logger.ts";
import { ACCEPTED_MEDIA_TYPES, canonicalContentType, parseMediaType } from "./media-type.ts";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The request decoration onRequest leaves the authenticated caller in (null until then). */
const CALLER = "carehubCaller";
type Caller = { endpoint: Endpoint; hub: ReturnType<typeof hubOf> };

/**
 * `POST /v1/messages`, in its own plugin scope so that its body parsers (raw bytes for the MedCom content
 * types, nothing else) do not leak into the query API. The checks run in this order, cheapest and
 * least revealing first: token (before a byte of the body is read), content type (before the body is
 * read), size (while it streams in), then emptiness and decoding.
 */
export function messageRoute(deps: GatewayDeps, acceptDeps: AcceptMessageDeps, maxMessageBytes: number) {
  return async (app: FastifyInstance): Promise<void> => {
    // A decoration, not a WeakMap keyed by the request: an entry per request in a WeakMap cost about 0.65 µs of
    // set and collection per message (decision 0117); a property every request of this scope has is one store.
    app.decorateRequest(CALLER, null);
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      Object.keys(ACCEPTED_MEDIA_TYPES),
      { parseAs: "buffer", bodyLimit: maxMessageBytes },
      (_request, body, done) => done(null, body),
    );

    app.post(
      "/v1/messages",
      {
        bodyLimit: maxMessageBytes,
        childLoggerFactory: lazyChildLogger,
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
          const registry = deps.registry.current();
          const endpoint = token === undefined ? undefined : registry.authenticate(token);
          if (endpoint === undefined) {
            throw unauthenticated(reply, token);
          }
          request.setDecorator<Caller>(CALLER, { endpoint, hub: hubOf(registry) });
        },
      },
      async (request, reply) => {
        const caller = request.getDecorator<Caller | null>(CALLER);
        if (caller === null) throw new Error("onRequest did not authenticate the request");
        const mediaType = parseMediaType(request.headers["content-type"]);
        const contentType = mediaType === undefined ? undefined : canonicalContentType(mediaType);
        if (mediaType === undefined || contentType === undefined) {
          throw new GatewayRequestError(
            415,
            GATEWAY_ERROR_CODES.unsupportedMediaType,
            "unsupported content type: send application/fhir+json, application/fhir+xml or application/xml",
          );
        }
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.byteLength === 0) {
          throw new GatewayRequestError(400, GATEWAY_ERROR_CODES.emptyBody, "the message body is empty");
        }
        const decodable = checkDecodable(body, mediaType);
        if (!decodable.ok) throw new GatewayRequestError(400, GATEWAY_ERROR_CODES.undecodableBody, decodable.reason);
        // The sender's own trace, when it sends one, continues through every hop of the hub.
        const parent = extractTraceContext(traceHeaders(request.headers));
        const outcome = await withSpan(
          "gateway receive",
          SpanKind.SERVER,
          { "http.request.method": "POST", "http.route": "/v1/messages", "carehub.endpoint": caller.endpoint.id },
          () => acceptMessage({ ...caller, bytes: body, contentType }, acceptDeps),
          parent,
        );
        return reply.code(outcome.statusCode).send(outcome.body);
      },
    );
  };
}

function traceHeaders(headers: FastifyRequest["headers"]): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const name of ["traceparent", "tracestate"]) {
    const value = headers[name];
    if (typeof value === "string") carried[name] = value;
  }
  return carried;
}

function hubOf(registry: ReturnType<GatewayDeps["registry"]["current"]>) {
  return registry.hub;
}
