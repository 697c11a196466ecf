import { isPatientKey, scrubText } from "@carehub/observability";
import type { AuditAction, AuditActor, AuditOutcome, AuditQuery, AuditRecord, AuditResource } from "@carehub/schemas";

/**
 * Building one access record of the query API (schemas/src/audit.ts). Pure: the id, the time and the keyed
 * patient hash are passed in. Everything the caller typed — path ids, filter values, parameter names, the user
 * agent — is checked for CPR numbers here, because an audit record is kept for years and is read by people
 * who must not learn a patient identifier from it.
 */

/** The listing filters kept in a record; `cursor` and `limit` say nothing about what was looked at. */
const FILTERS = ["sender", "receiver", "kind", "status", "from", "to"] as const;
const UNRECORDED = new Set(["cursor", "limit"]);
// A candidate for scrubText to judge: the same digit runs as a CPR number, with or without the dash.
const DIGIT_RUN = /(?<!\d)\d{6}-?\d{4}(?!\d)/g;

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

/** The CPR numbers in a text (as scrubText finds them), for the keyed hash. */
export function cprNumbersIn(text: string): string[] {
  return [...text.matchAll(DIGIT_RUN)].map((m) => m[0]).filter((candidate) => scrubText(candidate) !== candidate);
}

/** A resource id as the caller gave it, with any CPR number in it replaced by `[CPR]`. */
export function auditResource(type: AuditResource["type"], id: string): AuditResource {
  return { type, id: scrubText(id) };
}

/**
 * The filters of a listing from the raw query string (also when it did not validate: a refused listing is
 * recorded too). A value that carries a patient identifier is dropped; the record says a patient filter was
 * used and, with `patientHash`, under which keyed hash.
 */
export function auditQuery(raw: unknown, patientHash?: (identifier: string) => string): AuditQuery {
  const query: AuditQuery = {};
  const cprs: string[] = [];
  const other: string[] = [];
  let patientFilter = false;
  const entries = raw !== null && typeof raw === "object" ? Object.entries(raw as Record<string, unknown>) : [];
  for (const [name, value] of entries) {
    const text = Array.isArray(value) ? value.map(String).join(",") : String(value);
    const found = cprNumbersIn(text);
    cprs.push(...found);
    const carriesPatient = found.length > 0 || isPatientKey(name) || scrubText(name) !== name;
    if (carriesPatient) patientFilter = true;
    if ((FILTERS as readonly string[]).includes(name)) {
      if (!carriesPatient) query[name as (typeof FILTERS)[number]] = text;
    } else if (!UNRECORDED.has(name)) {
      other.push(scrubText(name));
    }
  }
  if (other.length > 0) query.otherParameters = other;
  if (patientFilter) query.patientFilter = true;
  if (patientHash !== undefined && cprs.length > 0) query.patientHashes = [...new Set(cprs.map(patientHash))];
  return query;
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
