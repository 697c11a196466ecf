import { CarehubError, PermanentError, RetryableError } from "@carehub/schemas";

/** Every code the gateway answers with (catalogued in docs/errors.md, stage gateway). */
export const GATEWAY_ERROR_CODES = {
  unauthenticated: "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED",
  bodyTooLarge: "CAREHUB_ERR_GATEWAY_BODY_TOO_LARGE",
  unsupportedMediaType: "CAREHUB_ERR_GATEWAY_UNSUPPORTED_MEDIA_TYPE",
  emptyBody: "CAREHUB_ERR_GATEWAY_EMPTY_BODY",
  undecodableBody: "CAREHUB_ERR_GATEWAY_UNDECODABLE_BODY",
  badRequest: "CAREHUB_ERR_GATEWAY_BAD_REQUEST",
  notFound: "CAREHUB_ERR_GATEWAY_NOT_FOUND",
  unavailable: "CAREHUB_ERR_GATEWAY_UNAVAILABLE",
  overloaded: "CAREHUB_ERR_GATEWAY_OVERLOADED",
  ingressBacklog: "CAREHUB_ERR_GATEWAY_INGRESS_BACKLOG",
  auditUnavailable: "CAREHUB_ERR_GATEWAY_AUDIT_UNAVAILABLE",
  internal: "CAREHUB_ERR_GATEWAY_INTERNAL",
} as const;

/** A request refused at the door, with the HTTP status to answer. Nothing was stored. */
export class GatewayRequestError extends PermanentError {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = "GatewayRequestError";
    this.statusCode = statusCode;
  }
}

/**
 * The 401 for a request without a known bearer token, with the challenge that names the scheme (the same for the
 * message routes and the query API). Says only whether a token came, never which.
 */
export function unauthenticated(reply: { header(name: string, value: string): unknown }, token: string | undefined) {
  reply.header("WWW-Authenticate", 'Bearer realm="carehub"');
  return new GatewayRequestError(
    401,
    GATEWAY_ERROR_CODES.unauthenticated,
    token === undefined ? "send Authorization: Bearer <token>" : "unknown token",
  );
}

/** NATS or Redis could not be reached in time: the sender should try again (503). */
export class GatewayUnavailableError extends RetryableError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(GATEWAY_ERROR_CODES.unavailable, message, options);
    this.name = "GatewayUnavailableError";
  }
}

/**
 * The access record of a query could not be stored on the AUDIT stream, so the answer is withheld (503, fail
 * closed: docs/decisions/0012). Retryable: the caller may ask again.
 */
export class GatewayAuditUnavailableError extends RetryableError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      GATEWAY_ERROR_CODES.auditUnavailable,
      "the access record of this request could not be written, so nothing is answered; try again",
      options,
    );
    this.name = "GatewayAuditUnavailableError";
  }
}

export interface ErrorAnswer {
  statusCode: number;
  body: { code: string; message: string; acceptedParameters?: readonly string[]; maxBytes?: number };
}

/** What an answer may say about this gateway: the largest message it accepts (for a 413). */
export interface ErrorContext {
  maxMessageBytes?: number;
}

/** Fastify's own errors that reach us before our handler runs, by their code. */
const FASTIFY_ERRORS: Readonly<Record<string, { statusCode: number; code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    statusCode: 413,
    code: GATEWAY_ERROR_CODES.bodyTooLarge,
    message: "the message is larger than this hub accepts",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    statusCode: 415,
    code: GATEWAY_ERROR_CODES.unsupportedMediaType,
    message: "unsupported content type: send application/fhir+json, application/fhir+xml or application/xml",
  },
  FST_ERR_BAD_URL: {
    statusCode: 400,
    code: GATEWAY_ERROR_CODES.badRequest,
    message: "the URL is not valid (a broken percent-encoding)",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    statusCode: 400,
    code: GATEWAY_ERROR_CODES.badRequest,
    message: "the body length does not match Content-Length",
  },
};

/** Maps any error thrown while handling a request to the one error answer shape `{code, message}`. */
export function errorAnswer(error: unknown, context: ErrorContext = {}): ErrorAnswer {
  if (error instanceof GatewayRequestError) {
    const accepted = (error as { acceptedParameters?: readonly string[] }).acceptedParameters;
    return {
      statusCode: error.statusCode,
      body: {
        code: error.code,
        message: error.message,
        ...(accepted === undefined ? {} : { acceptedParameters: accepted }),
      },
    };
  }
  if (error instanceof GatewayAuditUnavailableError) {
    return { statusCode: 503, body: { code: error.code, message: error.message } };
  }
  if (error instanceof CarehubError) {
    return error.retryable
      ? {
          statusCode: 503,
          body: {
            code: GATEWAY_ERROR_CODES.unavailable,
            message: "the hub cannot store messages right now; try again",
          },
        }
      : // Fixed text: a store error's message names the record's key, which holds the id from the path.
        { statusCode: 500, body: { code: error.code, message: "the hub could not answer this request" } };
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  const known = typeof fastifyCode === "string" ? FASTIFY_ERRORS[fastifyCode] : undefined;
  if (known?.code === GATEWAY_ERROR_CODES.bodyTooLarge && context.maxMessageBytes !== undefined) {
    const maxBytes = context.maxMessageBytes;
    return {
      statusCode: 413,
      body: { code: known.code, message: `${known.message}: at most ${maxBytes} bytes`, maxBytes },
    };
  }
  if (known !== undefined) return { statusCode: known.statusCode, body: { code: known.code, message: known.message } };
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    return { statusCode, body: { code: GATEWAY_ERROR_CODES.badRequest, message: "the request could not be read" } };
  }
  return { statusCode: 500, body: { code: GATEWAY_ERROR_CODES.internal, message: "internal error" } };
}
