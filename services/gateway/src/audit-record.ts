import { scrubText } from "@carehub/observability";
import type { AuditAction, AuditActor, AuditOutcome, AuditQuery, AuditRecord, AuditResource } from "@carehub/schemas";

/**
 * Building one access record of the query API (schemas/src/audit.ts). Pure: the id, the time and the keyed
 * patient hash are passed in. Everything the caller typed — path ids, filter values, parameter names, the user
 * agent — is scrubbed of CPR numbers here, because an audit record is kept for years and is read by people
 * who must not learn a patient identifier from it; a patient filter arrives here already hashed.
 */

/** The filters a listing applies, as the access record names them (cursor and limit say nothing). */
export interface AppliedFilters {
  sender?: string;
  receiver?: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  list?: string;
  endpoint?: string;
  days?: string;
}
const FILTERS = ["sender", "receiver", "kind", "status", "from", "to", "list", "endpoint", "days"] as const;

/** What a query request found out about itself on its way; the onSend hook turns it into a record. */
export interface AuditFacts {
  action: AuditAction;
  actor: AuditActor;
  resources: AuditResource[];
  /** Set by the handlers when they know better than the status code (an endpoint denied, a 404 that is none). */
  result?: AuditOutcome["result"];
  count?: number;
  query?: AuditQuery;
}

export interface AuditRequestFacts {
  id: string;
  method: string;
  remoteAddress?: string;
  userAgent?: string;
}

/** A resource id as the caller gave it, with any CPR number in it replaced by `[CPR]`. */
export function auditResource(type: AuditResource["type"], id: string): AuditResource {
  return { type, id: scrubText(id) };
}

/**
 * The filters a listing applied, after validation: exactly those, with a patient filter only as the read
 * model's keyed hash. Values are scrubbed once more (an endpoint id cannot be a CPR number, but a record kept
 * for years is no place to find out).
 */
export function appliedQuery(filters: AppliedFilters, patientHash?: string): AuditQuery {
  const query: AuditQuery = {};
  for (const name of FILTERS) {
    const value = filters[name];
    if (value !== undefined) query[name] = scrubText(value);
  }
  if (patientHash !== undefined) query.patientHash = patientHash;
  return query;
}

/** A request refused for parameters its route does not accept: their names only (scrubbed), never values. */
export function refusedQuery(unknownNames: readonly string[]): AuditQuery {
  return { otherParameters: unknownNames.map(scrubText) };
}

/** The result a status code means when the handler did not say more. */
export function resultOfStatus(status: number): AuditOutcome["result"] {
  if (status < 400) return "ok";
  if (status === 401) return "unauthenticated";
  if (status === 404) return "not-found";
  if (status < 500) return "invalid";
  return "failed";
}

/** The access record of one answered query request. */
export function buildAuditRecord(input: {
  id: string;
  at: Date;
  facts: AuditFacts;
  status: number;
  code?: string;
  request: AuditRequestFacts;
}): AuditRecord {
  const { facts, status } = input;
  const result = facts.result ?? resultOfStatus(status);
  return {
    schemaVersion: 1,
    id: input.id,
    at: input.at.toISOString(),
    actor: facts.actor,
    action: facts.action,
    resources: facts.resources,
    ...(facts.query === undefined ? {} : { query: facts.query }),
    outcome: {
      status,
      result,
      count: result === "ok" ? (facts.count ?? 0) : 0,
      ...(input.code === undefined ? {} : { code: input.code }),
    },
    request: {
      id: input.request.id,
      method: input.request.method,
      ...(input.request.remoteAddress === undefined ? {} : { remoteAddress: input.request.remoteAddress }),
      ...(input.request.userAgent === undefined ? {} : { userAgent: scrubText(input.request.userAgent) }),
    },
  };
}
