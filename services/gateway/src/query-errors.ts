import { GatewayRequestError } from "./gateway-errors.ts";

/** Codes the query API answers with (docs/errors.md, section Tracker). */
export const QUERY_ERROR_CODES = {
  invalid: "CAREHUB_ERR_QUERY_INVALID",
  unknownParameter: "CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN",
  notFound: "CAREHUB_ERR_QUERY_NOT_FOUND",
  outOfScope: "CAREHUB_ERR_QUERY_OUT_OF_SCOPE",
} as const;

/**
 * A query string refused (400). The answer names the parameters the route accepts, never what the caller sent:
 * a parameter's name or value may carry a CPR number, and an error body travels into the caller's logs.
 */
export class QueryParameterError extends GatewayRequestError {
  readonly acceptedParameters: readonly string[];

  constructor(code: string, message: string, acceptedParameters: readonly string[]) {
    super(400, code, message);
    this.name = "QueryParameterError";
    this.acceptedParameters = acceptedParameters;
  }
}

/** 404 with a fixed text: the id asked for is not repeated (it may be anything, a CPR number included). */
export function notFound(
  what: "message" | "referral" | "task" | "appointment" | "course" | "overview",
): GatewayRequestError {
  return new GatewayRequestError(404, QUERY_ERROR_CODES.notFound, `no such ${what}, or not one this caller may see`);
}
