import {
  Endpoint,
  HubIdentity,
  Operator,
  RegistryConfig,
  RoutingRule,
  registryConsistencyProblems,
} from "@carehub/schemas";
import { RegistryConfigError } from "./registry-config-error.ts";

/** Formats a schema path the way people read it: `endpoints[2].identifiers.sor[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text === "" ? "(root)" : text;
}

/**
 * Validates a registry configuration and returns it parsed (defaults applied), or throws a
 * RegistryConfigError with every problem. The cross-entry checks (unique ids, SOR/GLN, token hashes of
 * endpoints and operators, rule targets) also run on the entries that are valid when others are not, so one pass finds all.
 */
export function validateRegistryConfig(input: unknown, source = "registry"): RegistryConfig {
  const parsed = RegistryConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  // A Set: when every entry was valid, the schema's own refinement already reported the cross-entry problems.
  const problems = new Set(parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  if (isRecord(input)) {
    const endpoints = asArray(input.endpoints);
    const unparsedEndpointIds = new Set<string>();
    const parsedEndpoints = endpoints.map((raw) => {
      const result = Endpoint.safeParse(raw);
      if (!result.success && isRecord(raw) && typeof raw.id === "string") unparsedEndpointIds.add(raw.id);
      return result.success ? result.data : undefined;
    });
    const hub = HubIdentity.safeParse(input.hub);
    const partial = registryConsistencyProblems({
      hub: hub.success ? hub.data : undefined,
      endpoints: parsedEndpoints,
      rules: asArray(input.rules).map((raw) => {
        const result = RoutingRule.safeParse(raw);
        return result.success ? result.data : undefined;
      }),
      operators: asArray(input.operators).map((raw) => {
        const result = Operator.safeParse(raw);
        return result.success ? result.data : undefined;
      }),
      unparsedEndpointIds,
    });
    for (const problem of partial) problems.add(`${formatPath(problem.path)}: ${problem.message}`);
  }
  throw new RegistryConfigError(source, [...problems]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
