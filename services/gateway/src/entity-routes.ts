import { type AuditAction, type BusinessEntity, type Endpoint, UnmatchedListQuery } from "@carehub/schemas";
import type { ReadModelQueries, SubjectType } from "@carehub/store";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { type AuditFacts, auditResource } from "./audit-record.ts";
import { GatewayRequestError } from "./gateway-errors.ts";
import { notFound } from "./query-errors.ts";
import { queryParameters, queryRoute } from "./query-parameters.ts";

/** The code only these routes answer with (docs/errors.md, Tracker); the others are the query API's. */
export const ENTITY_QUERY_ERROR_CODES = {
  ambiguous: "CAREHUB_ERR_QUERY_AMBIGUOUS",
} as const;

type Caller = { kind: "operator"; id: string } | { kind: "endpoint"; endpoint: Endpoint };

export interface EntityRoutesOptions {
  readModel: () => ReadModelQueries;
  callerOf: (request: FastifyRequest) => Caller;
  factsOf: (request: FastifyRequest) => AuditFacts;
}

/** The path segment of each subject type. */
const PATHS: Record<SubjectType, string> = { referral: "referrals", task: "tasks", appointment: "appointments" };

/**
 * Referrals, tasks and appointments, identified by (originator, id) — docs/architecture.md, "Identity":
 * - `GET /v1/<referrals|tasks|appointments>/:originator/:id`: the entity, a referral or task with its
 *   appointments (each with its own status and time);
 * - `GET /v1/<…>/:id`: kept for callers that know only the id; answers when exactly one entity under that id is
 *   readable by the caller, 409 `CAREHUB_ERR_QUERY_AMBIGUOUS` when several are (then use the scoped path);
 * - `GET /v1/unmatched`: statuses about entities whose creating message the hub has not seen.
 * An endpoint reads an entity it originated or was sent (for an unmatched one: that it reported or was
 * addressed by); anything else answers 404 exactly like nothing, and the access record says `denied`.
 * Registered inside the query routes, so authentication and the access record are theirs.
 */
export const entityRoutes: FastifyPluginAsync<EntityRoutesOptions> = async (app, options) => {
  const { readModel, callerOf, factsOf } = options;

  for (const type of ["referral", "task", "appointment"] as const) {
    const auditAction: AuditAction = `${type}.read`;
    app.get<{ Params: { originator: string; id: string } }>(
      `/v1/${PATHS[type]}/:originator/:id`,
      queryRoute(auditAction),
      async (request): Promise<BusinessEntity> => {
        const facts = factsOf(request);
        const { originator, id } = request.params;
        facts.resources = [auditResource(type, `${originator}/${id}`)];
        const entity = await readModel().getEntity({ type, originator, id });
        return answerOne(facts, callerOf(request), type, entity === undefined ? [] : [entity]);
      },
    );
    app.get<{ Params: { id: string } }>(
      `/v1/${PATHS[type]}/:id`,
      queryRoute(auditAction),
      async (request): Promise<BusinessEntity> => {
        const facts = factsOf(request);
        const { id } = request.params;
        facts.resources = [auditResource(type, id)];
        const queries = readModel();
        const found: BusinessEntity[] = [];
        for (const originator of await queries.originatorsOf(type, id)) {
          const entity = await queries.getEntity({ type, originator, id });
          if (entity !== undefined) found.push(entity);
        }
        return answerOne(facts, callerOf(request), type, found);
      },
    );
  }

  app.get(
    "/v1/unmatched",
    queryRoute("unmatched.list", UnmatchedListQuery),
    async (request): Promise<{ items: BusinessEntity[] }> => {
      const facts = factsOf(request);
      const { type, limit } = queryParameters<UnmatchedListQuery>(request);
      const caller = callerOf(request);
      const all = await readModel().listUnmatched({ ...(type === undefined ? {} : { type }), limit });
      const items = all.filter((entity) => mayReadEntity(caller, entity));
      facts.resources = items.map((e) => auditResource(e.type, `${e.originator ?? ""}/${e.id}`));
      facts.count = items.length;
      return { items };
    },
  );
};

/** One readable entity answers; none is 404 (denied or not found alike); several readable is 409. */
function answerOne(
  facts: AuditFacts,
  caller: Caller,
  type: SubjectType,
  found: readonly BusinessEntity[],
): BusinessEntity {
  const readable = found.filter((entity) => mayReadEntity(caller, entity));
  const [only, ...more] = readable;
  if (only === undefined) {
    facts.result = found.length === 0 ? "not-found" : "denied";
    // The answer names no id the caller sent: ids may carry patient data.
    throw notFound(type);
  }
  if (more.length > 0) {
    facts.result = "invalid";
    throw new GatewayRequestError(
      409,
      ENTITY_QUERY_ERROR_CODES.ambiguous,
      `several originators use this ${type} id: ask /v1/${PATHS[type]}/<originator>/<id>`,
    );
  }
  facts.resources = [auditResource(type, `${only.originator ?? ""}/${only.id}`)];
  facts.count = 1;
  return only;
}

/**
 * Operators read everything. An endpoint reads a matched entity it originated or was sent; an unmatched one
 * (no creating message seen) that it reported, or that was addressed to it.
 */
export function mayReadEntity(caller: Caller, entity: BusinessEntity): boolean {
  if (caller.kind === "operator") return true;
  const id = caller.endpoint.id;
  if (entity.unmatched === true) return (entity.reportedAmong ?? []).includes(id);
  return entity.originator === id || entity.counterparts.includes(id);
}
