import { timeOrderedId } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import {
  type Endpoint,
  EntityListQuery,
  type EntityPage,
  type MessageLifecycle,
  MessageListQuery,
  type MessagePage,
  type StatusCounts,
} from "@carehub/schemas";
import { InvalidCursorError, InvalidQueryError, type ReadModelQueries } from "@carehub/store";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { type AuditFacts, appliedQuery, auditResource, buildAuditRecord, refusedQuery } from "./audit-record.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { careOverviewRoutes } from "./care-overview-routes.ts";
import { entityRoutes, mayReadEntity } from "./entity-routes.ts";
import {
  errorAnswer,
  GatewayAuditUnavailableError,
  GatewayRequestError,
  GatewayUnavailableError,
  unauthenticated,
} from "./gateway-errors.ts";
import { notFound, QUERY_ERROR_CODES } from "./query-errors.ts";
import {
  checkQueryParameters,
  type QueryRouteConfig,
  queryParameters,
  queryRoute,
  querySchemaOf,
  unknownParameters,
} from "./query-parameters.ts";

export { QUERY_ERROR_CODES } from "./query-errors.ts";

export interface QueryRoutesOptions {
  /** The read model (`@carehub/store` ReadModelStore, or anything with its query methods). */
  store: unknown;
  registry: RegistrySource;
  /**
   * The operator a bearer token belongs to, who may read everything (the gateway app asks the registry's
   * `operators`). Without it only endpoints authenticate, and each reads only what it sent or received, and
   * the referrals and tasks it is part of.
   */
  authenticateOperator?: (token: string) => { id: string } | undefined;
  /**
   * Where every query request's access record goes (docs/decisions/0012). Written before the answer: when it
   * cannot be written, the answer is withheld and the caller gets 503 `CAREHUB_ERR_GATEWAY_AUDIT_UNAVAILABLE`.
   */
  audit: AuditTrail;
  /** The read model's keyed patient hash, so a listing filtered by a CPR number is recorded by hash only. */
  patientHash?: (identifier: string) => string;
  clock?: () => Date;
}

type Caller = { kind: "operator"; id: string } | { kind: "endpoint"; endpoint: Endpoint };

/** Answered on every query request, 401s included, so a caller can quote it; it is the record's `request.id`. */
export const REQUEST_ID_HEADER = "carehub-request-id";

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The query API over the read model: `GET /v1/messages/:id`, `GET /v1/messages`, `GET /v1/referrals/:id`,
 * `GET /v1/referrals?patient=`, `GET /v1/tasks/:id`, `GET /v1/tasks?patient=`, `GET /v1/stats`. Bodies follow
 * schemas/src/api.ts (MessageLifecycle, MessagePage, BusinessEntity, EntityPage, StatusCounts); errors are
 * `{code, message}` with fixed texts that never repeat what the caller sent. Something the caller may not see
 * answers 404 exactly as something that does not exist, so ids cannot be probed — but the access record says
 * `denied`. Each route declares its query string (`queryRoute`, ./query-parameters.ts); anything else is refused.
 *
 * Every request, refused ones included, leaves one AuditRecord (schemas/src/audit.ts): the handlers note what
 * they learn in the request's AuditFacts, and the onSend hook writes the record before anything is sent.
 */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, options) => {
  const store = asQueries(options.store);
  const callers = new WeakMap<FastifyRequest, Caller>();
  const audits = new WeakMap<FastifyRequest, AuditFacts>();
  const clock = options.clock ?? (() => new Date());

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    const auditAction = (request.routeOptions.config as Partial<QueryRouteConfig>).auditAction;
    if (auditAction === undefined) throw new Error(`route ${request.routeOptions.url} has no audit action`);
    const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
    const operator = token === undefined ? undefined : options.authenticateOperator?.(token);
    const endpoint =
      token === undefined || operator !== undefined ? undefined : options.registry.current().authenticate(token);
    const facts: AuditFacts = {
      action: auditAction,
      actor:
        operator !== undefined
          ? { type: "operator", id: operator.id }
          : endpoint !== undefined
            ? { type: "endpoint", id: endpoint.id }
            : { type: "anonymous", credential: token === undefined ? "none" : "unknown-token" },
      resources: [],
    };
    audits.set(request, facts);
    if (operator !== undefined) {
      callers.set(request, { kind: "operator", id: operator.id });
      return;
    }
    if (endpoint === undefined) {
      throw unauthenticated(reply, token);
    }
    callers.set(request, { kind: "endpoint", endpoint });
  });

  // After authentication (a stranger learns nothing, not even the parameters), before any handler.
  app.addHook("preHandler", async (request) => {
    const unknown = unknownParameters(querySchemaOf(request), request.query);
    if (unknown.length > 0) factsOf(request).query = refusedQuery(unknown);
    checkQueryParameters(request);
  });

  // The record is written before the answer leaves (fail closed): what cannot be recorded is not shown.
  app.addHook("onSend", async (request, reply, payload) => {
    const facts = audits.get(request);
    if (facts === undefined) return payload;
    audits.delete(request);
    const status = reply.statusCode;
    const record = buildAuditRecord({
      id: timeOrderedId(),
      at: clock(),
      facts,
      status,
      ...(status >= 400 ? { code: errorCodeOf(payload) } : {}),
      request: {
        id: String(request.id),
        method: request.method,
        remoteAddress: request.ip,
        ...(request.headers["user-agent"] === undefined ? {} : { userAgent: request.headers["user-agent"] }),
      },
    });
    try {
      await options.audit.write(record);
      return payload;
    } catch (error) {
      const refusal =
        error instanceof GatewayAuditUnavailableError ? error : new GatewayAuditUnavailableError({ cause: error });
      request.log.error({ err: refusal, action: facts.action, requestId: request.id }, "access record not written");
      const answer = errorAnswer(refusal);
      reply.code(answer.statusCode).header("content-type", "application/json; charset=utf-8");
      reply.removeHeader("www-authenticate");
      return JSON.stringify(answer.body);
    }
  });
  const factsOf = (request: FastifyRequest): AuditFacts => {
    const facts = audits.get(request);
    if (facts === undefined) throw new Error("onRequest did not start the access record");
    return facts;
  };
  const callerOf = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    if (caller === undefined) throw new Error("onRequest did not authenticate the request");
    return caller;
  };
  // The read model's keyed hash of a patient filter, for the access record (the store hashes its own lookups).
  const hashOf = (patient: string): string => {
    if (options.patientHash === undefined) {
      throw new GatewayUnavailableError("patient search needs the read model's patient key on this gateway");
    }
    return options.patientHash(patient);
  };
  const readModel = (): ReadModelQueries => {
    if (store === undefined) throw new GatewayUnavailableError("the read model is not configured on this gateway");
    return store;
  };

  app.get<{ Params: { id: string } }>(
    "/v1/messages/:id",
    queryRoute("message.read"),
    async (request): Promise<MessageLifecycle> => {
      const caller = callerOf(request);
      const facts = factsOf(request);
      facts.resources = [auditResource("message", request.params.id)];
      const record = await readModel().getMessage(request.params.id);
      if (record === undefined || !mayReadMessage(caller, record)) {
        facts.result = record === undefined ? "not-found" : "denied";
        throw notFound("message");
      }
      // What the answer shows: the message, and the referral or task it is about.
      if (record.subject?.type === "referral" || record.subject?.type === "task") {
        facts.resources.push(auditResource(record.subject.type, record.subject.id));
      }
      facts.count = 1;
      return record;
    },
  );

  app.get("/v1/messages", queryRoute("message.list", MessageListQuery), async (request): Promise<MessagePage> => {
    const caller = callerOf(request);
    const facts = factsOf(request);
    const { patient, cursor, limit, ...filters } = queryParameters<MessageListQuery>(request);
    if (
      caller.kind === "endpoint" &&
      filters.sender !== caller.endpoint.id &&
      filters.receiver !== caller.endpoint.id
    ) {
      facts.result = "denied";
      throw new GatewayRequestError(
        400,
        QUERY_ERROR_CODES.outOfScope,
        `an endpoint lists its own messages: pass sender=${caller.endpoint.id} or receiver=${caller.endpoint.id}`,
      );
    }
    const queries = readModel();
    facts.query = appliedQuery(filters, patient === undefined ? undefined : hashOf(patient));
    try {
      const page = await queries.listMessages({
        ...filters,
        ...(patient === undefined ? {} : { patient }),
        ...(cursor === undefined ? {} : { cursor }),
        limit,
      });
      facts.resources = page.items.map((item) => auditResource("message", item.hubId));
      facts.count = page.items.length;
      return page;
    } catch (error) {
      if (error instanceof InvalidCursorError || error instanceof InvalidQueryError) {
        delete facts.query;
        throw new GatewayRequestError(400, error.code, error.message);
      }
      throw error;
    }
  });

  // Referrals, tasks, appointments (scoped by originator) and unmatched statuses: entity-routes.ts.
  await app.register(entityRoutes, { readModel, callerOf, factsOf });

  // The care overview: a patient's courses and items, one course, the worklists (care-overview-routes.ts).
  await app.register(careOverviewRoutes, { readModel, callerOf, factsOf, hashOf, clock });

  // The referrals or tasks about one patient: an operator's search, or an endpoint's among its own.
  const listEntities = async (request: FastifyRequest, type: "referral" | "task"): Promise<EntityPage> => {
    const caller = callerOf(request);
    const facts = factsOf(request);
    const { patient, limit } = queryParameters<EntityListQuery>(request);
    const queries = readModel();
    facts.query = appliedQuery({}, hashOf(patient));
    const found = await queries.findEntitiesByPatient(type, patient);
    const items = found.filter((entity) => mayReadEntity(caller, entity)).slice(0, limit);
    facts.resources = items.map((entity) => auditResource(type, entity.id));
    facts.count = items.length;
    return { items };
  };

  app.get("/v1/referrals", queryRoute("referral.list", EntityListQuery), (request) =>
    listEntities(request, "referral"),
  );

  app.get("/v1/tasks", queryRoute("task.list", EntityListQuery), (request) => listEntities(request, "task"));

  app.get("/v1/stats", queryRoute("stats.read"), async (request): Promise<StatusCounts> => {
    const caller = callerOf(request);
    const counts = await readModel().statusCounts();
    const visible =
      caller.kind === "operator"
        ? counts
        : { items: counts.items.filter((row) => row.endpoint === caller.endpoint.id) };
    factsOf(request).count = visible.items.length;
    return visible;
  });
};

function mayReadMessage(caller: Caller, record: MessageLifecycle): boolean {
  if (caller.kind === "operator") return true;
  const id = caller.endpoint.id;
  return record.sender === id || record.receivers.includes(id);
}

/** The `code` of an error answer's JSON body (every error answer is `{code, message}`). */
function errorCodeOf(payload: unknown): string | undefined {
  if (typeof payload !== "string") return undefined;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

const QUERY_METHODS = [
  "getMessage",
  "listMessages",
  "findEntitiesByPatient",
  "getEntity",
  "originatorsOf",
  "listUnmatched",
  "statusCounts",
  "patientOverview",
  "getCourse",
  "careList",
] as const;

function asQueries(store: unknown): ReadModelQueries | undefined {
  if (store === undefined || store === null) return undefined;
  const candidate = store as Record<string, unknown>;
  const missing = QUERY_METHODS.filter((m) => typeof candidate[m] !== "function");
  if (missing.length > 0) throw new Error(`the store given to the query routes lacks ${missing.join(", ")}`);
  return store as ReadModelQueries;
}

export default queryRoutes;
