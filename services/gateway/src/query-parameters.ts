import { type AuditAction, NoQueryParameters } from "@carehub/schemas";
import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import { QUERY_ERROR_CODES, QueryParameterError } from "./query-errors.ts";

/**
 * The one mechanism by which a query route accepts parameters: its route config names a strict zod schema
 * (schemas/src/api.ts), the query plugin's preHandler parses the query string with it before the handler runs,
 * and the handler reads the parsed value with `queryParameters(request)`. A route that names no schema accepts
 * no parameters. An unknown parameter is refused with 400 `CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN`, a bad value
 * with 400 `CAREHUB_ERR_QUERY_INVALID`; both answers list the accepted parameters and echo nothing.
 *
 *   app.get("/v1/things", queryRoute("thing.list", ThingListQuery), async (request) => {
 *     const query = queryParameters<ThingListQuery>(request);
 */
export interface QueryRouteConfig {
  auditAction: AuditAction;
  /** The route's query string; strict (z.strictObject). Absent: the route takes no parameters. */
  query?: z.ZodObject;
}

const parsedQueries = new WeakMap<FastifyRequest, unknown>();

/** The route options of a query route: its access action and the query string it accepts (none by default). */
export function queryRoute(auditAction: AuditAction, query?: z.ZodObject): { config: QueryRouteConfig } {
  return { config: { auditAction, ...(query === undefined ? {} : { query }) } };
}

/** The parameter names a query schema accepts, in the schema's order. */
export function acceptedParameters(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

/** The schema a route declared (NoQueryParameters when it declared none). */
export function querySchemaOf(request: FastifyRequest): z.ZodObject {
  return (request.routeOptions.config as Partial<QueryRouteConfig>).query ?? NoQueryParameters;
}

/** The names in a raw query string that `schema` does not accept. */
export function unknownParameters(schema: z.ZodObject, raw: unknown): string[] {
  const accepted = new Set(acceptedParameters(schema));
  return rawNames(raw).filter((name) => !accepted.has(name));
}

/** Parses `raw` with `schema`, or throws a QueryParameterError whose text is built only from accepted names. */
export function parseQueryParameters<S extends z.ZodObject>(schema: S, raw: unknown): z.output<S> {
  const accepted = acceptedParameters(schema);
  const list = accepted.length === 0 ? "none" : accepted.join(", ");
  if (unknownParameters(schema, raw).length > 0) {
    throw new QueryParameterError(
      QUERY_ERROR_CODES.unknownParameter,
      `unknown query parameter; accepted parameters: ${list}`,
      accepted,
    );
  }
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  // Only path heads that are accepted names are quoted (they are ours); zod's own texts are not needed.
  const invalid = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? "")))]
    .filter((name) => accepted.includes(name))
    .sort();
  throw new QueryParameterError(
    QUERY_ERROR_CODES.invalid,
    `invalid value for ${invalid.length === 0 ? "the query" : invalid.join(", ")}; accepted parameters: ${list}`,
    accepted,
  );
}

/** Runs the route's schema over the request's query string (the query plugin's preHandler). */
export function checkQueryParameters(request: FastifyRequest): void {
  parsedQueries.set(request, parseQueryParameters(querySchemaOf(request), request.query));
}

/** The query string as the route's schema parsed it. */
export function queryParameters<T>(request: FastifyRequest): T {
  if (!parsedQueries.has(request)) throw new Error("the query parameters were not checked for this request");
  return parsedQueries.get(request) as T;
}

function rawNames(raw: unknown): string[] {
  return raw !== null && typeof raw === "object" ? Object.keys(raw as Record<string, unknown>) : [];
}
