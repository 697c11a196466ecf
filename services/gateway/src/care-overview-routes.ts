import {
  type CareCourse,
  type CareItem,
  type CareListPage,
  CareListQuery,
  type Endpoint,
  PatientFilter,
  type PatientOverview,
} from "@carehub/schemas";
import { type CareViewer, InvalidCursorError, InvalidQueryError, type ReadModelQueries } from "@carehub/store";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { type AuditFacts, appliedQuery, auditResource } from "./audit-record.ts";
import { GatewayRequestError } from "./gateway-errors.ts";
import { notFound, QUERY_ERROR_CODES } from "./query-errors.ts";
import { queryParameters, queryRoute } from "./query-parameters.ts";

/** The header that names the patient of `GET /v1/patients/overview`: never the URL, which proxies and logs keep. */
export const PATIENT_HEADER = "carehub-patient";

type Caller = { kind: "operator"; id: string } | { kind: "endpoint"; endpoint: Endpoint };

export interface CareOverviewRoutesOptions {
  readModel: () => ReadModelQueries;
  callerOf: (request: FastifyRequest) => Caller;
  factsOf: (request: FastifyRequest) => AuditFacts;
  /** The read model's keyed patient hash, for the access record. */
  hashOf: (identifier: string) => string;
  clock: () => Date;
}

/**
 * The care overview (issue 12; docs/contracts.md, "Package courses and the care overview"):
 * - `GET /v1/patients/overview` with the patient's CPR number in the `Carehub-Patient` header: the patient's
 *   package courses and other referrals and tasks, with their appointments;
 * - `GET /v1/courses/:id` (`<originator>:<package referral id>`): one course;
 * - `GET /v1/care-lists?list=…`: an endpoint's worklist (not booked for N days, planned past its window, booked
 *   in the past with no outcome), oldest first, paged.
 * Operators see everything; the practice that sent a package referral sees every item of its course; any other
 * endpoint sees only the items it is a party to, and nothing at all answers 404 exactly like no such patient or
 * course (the access record says `denied` or `not-found`). Registered inside the query routes, so authentication
 * and the access record are theirs; the record keeps the patient as the keyed hash only.
 */
export const careOverviewRoutes: FastifyPluginAsync<CareOverviewRoutesOptions> = async (app, options) => {
  const { readModel, callerOf, factsOf, hashOf, clock } = options;

  app.get("/v1/patients/overview", queryRoute("patient.overview"), async (request): Promise<PatientOverview> => {
    const facts = factsOf(request);
    const header = request.headers[PATIENT_HEADER];
    const parsed = PatientFilter.safeParse(typeof header === "string" ? header.trim() : undefined);
    if (!parsed.success) {
      facts.result = "invalid";
      throw new GatewayRequestError(
        400,
        QUERY_ERROR_CODES.invalid,
        "send the patient's identifier (CPR number) in the Carehub-Patient header",
      );
    }
    facts.query = appliedQuery({}, hashOf(parsed.data));
    const viewer = viewerOf(callerOf(request));
    const overview = await readModel().patientOverview(parsed.data, viewer);
    if (overview === undefined) {
      // Both answer alike; the record says which it was (asked once more as an operator would see it).
      const exists = viewer.kind === "endpoint" && (await readModel().patientOverview(parsed.data, OPERATOR));
      facts.result = exists ? "denied" : "not-found";
      throw notFound("overview");
    }
    const items = [...overview.courses.flatMap((c) => c.items), ...overview.items];
    facts.resources = [...overview.courses.map((c) => auditResource("course", c.id)), ...items.map(itemResource)];
    facts.count = items.length;
    return overview;
  });

  app.get<{ Params: { id: string } }>(
    "/v1/courses/:id",
    queryRoute("course.read"),
    async (request): Promise<CareCourse> => {
      const facts = factsOf(request);
      facts.resources = [auditResource("course", request.params.id)];
      const viewer = viewerOf(callerOf(request));
      const course = await readModel().getCourse(request.params.id, viewer);
      if (course === undefined) {
        const exists = viewer.kind === "endpoint" && (await readModel().getCourse(request.params.id, OPERATOR));
        facts.result = exists ? "denied" : "not-found";
        throw notFound("course");
      }
      facts.resources = [auditResource("course", course.id), ...course.items.map(itemResource)];
      facts.count = course.items.length;
      return course;
    },
  );

  app.get("/v1/care-lists", queryRoute("care-list.list", CareListQuery), async (request): Promise<CareListPage> => {
    const facts = factsOf(request);
    const caller = callerOf(request);
    const query = queryParameters<CareListQuery>(request);
    const endpoint = caller.kind === "endpoint" ? caller.endpoint.id : query.endpoint;
    if (caller.kind === "endpoint" && query.endpoint !== undefined && query.endpoint !== caller.endpoint.id) {
      facts.result = "denied";
      throw new GatewayRequestError(400, QUERY_ERROR_CODES.outOfScope, "an endpoint reads its own worklists only");
    }
    if (endpoint === undefined) {
      facts.result = "invalid";
      throw new GatewayRequestError(400, QUERY_ERROR_CODES.invalid, "an operator names the endpoint: pass endpoint=");
    }
    facts.query = appliedQuery({ list: query.list, endpoint, days: String(query.days) });
    let page: CareListPage;
    try {
      page = await readModel().careList({ ...query, endpoint }, clock().getTime());
    } catch (error) {
      if (!(error instanceof InvalidCursorError || error instanceof InvalidQueryError)) throw error;
      facts.result = "invalid";
      throw new GatewayRequestError(400, error.code, error.message);
    }
    facts.resources = page.items.map(itemResource);
    facts.count = page.items.length;
    return page;
  });
};

const OPERATOR: CareViewer = { kind: "operator" };

function viewerOf(caller: Caller): CareViewer {
  return caller.kind === "operator" ? { kind: "operator" } : { kind: "endpoint", id: caller.endpoint.id };
}

function itemResource(item: CareItem) {
  return auditResource(item.type, `${item.originator}/${item.id}`);
}
