import type { RegistrySource } from "@carehub/registry";
import {
  type BusinessEntity,
  type Endpoint,
  type MessageLifecycle,
  MessageListQuery,
  type MessagePage,
  type StatusCounts,
} from "@carehub/schemas";
import { InvalidCursorError, InvalidQueryError, type ReadModelQueries } from "@carehub/store";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { GATEWAY_ERROR_CODES, GatewayRequestError, GatewayUnavailableError } from "./gateway-errors.ts";

/** Codes the query API answers with (docs/errors.md, section Tracker). */
export const QUERY_ERROR_CODES = {
  invalid: "CAREHUB_ERR_QUERY_INVALID",
  notFound: "CAREHUB_ERR_QUERY_NOT_FOUND",
  outOfScope: "CAREHUB_ERR_QUERY_OUT_OF_SCOPE",
} as const;

export interface QueryRoutesOptions {
  /** The read model (`@carehub/store` ReadModelStore, or anything with its query methods). */
  store: unknown;
  registry: RegistrySource;
  /**
   * Whether a bearer token belongs to an operator, who may read everything (the gateway app asks the
   * registry's `operators`). Without it only endpoints authenticate, and each reads only what it sent or
   * received, and the referrals and tasks it is part of.
   */
  isOperatorToken?: (token: string) => boolean;
}

type Caller = { kind: "operator" } | { kind: "endpoint"; endpoint: Endpoint };

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The query API over the read model: `GET /v1/messages/:id`, `GET /v1/messages`, `GET /v1/referrals/:id`,
 * `GET /v1/tasks/:id`, `GET /v1/stats`. Bodies follow schemas/src/api.ts (MessageLifecycle, MessagePage,
 * BusinessEntity, StatusCounts); errors are `{code, message}`. Something the caller may not see answers 404
 * exactly as something that does not exist, so ids cannot be probed.
 */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, options) => {
  const store = asQueries(options.store);
  const callers = new WeakMap<FastifyRequest, Caller>();

  app.addHook("onRequest", async (request, reply) => {
    const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
    if (token !== undefined && options.isOperatorToken?.(token) === true) {
      callers.set(request, { kind: "operator" });
      return;
    }
    const endpoint = token === undefined ? undefined : options.registry.current().authenticate(token);
    if (endpoint === undefined) {
      reply.header("WWW-Authenticate", 'Bearer realm="carehub"');
      throw new GatewayRequestError(
        401,
        GATEWAY_ERROR_CODES.unauthenticated,
        token === undefined ? "send Authorization: Bearer <token>" : "unknown token",
      );
    }
    callers.set(request, { kind: "endpoint", endpoint });
  });
  const callerOf = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    if (caller === undefined) throw new Error("onRequest did not authenticate the request");
    return caller;
  };
  const readModel = (): ReadModelQueries => {
    if (store === undefined) throw new GatewayUnavailableError("the read model is not configured on this gateway");
    return store;
  };

  app.get<{ Params: { id: string } }>("/v1/messages/:id", async (request): Promise<MessageLifecycle> => {
    const caller = callerOf(request);
    const record = await readModel().getMessage(request.params.id);
    if (record === undefined || !mayReadMessage(caller, record)) throw notFound("message", request.params.id);
    return record;
  });

  app.get("/v1/messages", async (request): Promise<MessagePage> => {
    const caller = callerOf(request);
    const parsed = MessageListQuery.safeParse(request.query);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`);
      throw new GatewayRequestError(400, QUERY_ERROR_CODES.invalid, problems.join("; "));
    }
    const query = parsed.data;
    if (caller.kind === "endpoint" && query.sender !== caller.endpoint.id && query.receiver !== caller.endpoint.id) {
      throw new GatewayRequestError(
        400,
        QUERY_ERROR_CODES.outOfScope,
        `an endpoint lists its own messages: pass sender=${caller.endpoint.id} or receiver=${caller.endpoint.id}`,
      );
    }
    try {
      return await readModel().listMessages(query);
    } catch (error) {
      if (error instanceof InvalidCursorError || error instanceof InvalidQueryError) {
        throw new GatewayRequestError(400, error.code, error.message);
      }
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>("/v1/referrals/:id", async (request): Promise<BusinessEntity> => {
    const entity = await readModel().getReferral(request.params.id);
    if (entity === undefined || !mayReadEntity(callerOf(request), entity))
      throw notFound("referral", request.params.id);
    return entity;
  });

  app.get<{ Params: { id: string } }>("/v1/tasks/:id", async (request): Promise<BusinessEntity> => {
    const entity = await readModel().getTask(request.params.id);
    if (entity === undefined || !mayReadEntity(callerOf(request), entity)) throw notFound("task", request.params.id);
    return entity;
  });

  app.get("/v1/stats", async (request): Promise<StatusCounts> => {
    const caller = callerOf(request);
    const counts = await readModel().statusCounts();
    if (caller.kind === "operator") return counts;
    return { items: counts.items.filter((row) => row.endpoint === caller.endpoint.id) };
  });
};

function mayReadMessage(caller: Caller, record: MessageLifecycle): boolean {
  if (caller.kind === "operator") return true;
  const id = caller.endpoint.id;
  return record.sender === id || record.receivers.includes(id);
}

function mayReadEntity(caller: Caller, entity: BusinessEntity): boolean {
  if (caller.kind === "operator") return true;
  const id = caller.endpoint.id;
  return entity.originator === id || entity.counterparts.includes(id);
}

function notFound(what: string, id: string): GatewayRequestError {
  return new GatewayRequestError(404, QUERY_ERROR_CODES.notFound, `no ${what} ${id}`);
}

const QUERY_METHODS = ["getMessage", "listMessages", "getReferral", "getTask", "statusCounts"] as const;

function asQueries(store: unknown): ReadModelQueries | undefined {
  if (store === undefined || store === null) return undefined;
  const candidate = store as Record<string, unknown>;
  const missing = QUERY_METHODS.filter((m) => typeof candidate[m] !== "function");
  if (missing.length > 0) throw new Error(`the store given to the query routes lacks ${missing.join(", ")}`);
  return store as ReadModelQueries;
}

export default queryRoutes;
