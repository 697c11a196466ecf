import type { ValidationIssue } from "@carehub/schemas";
import { fhirIssue } from "./issues.ts";
import type { ParseLimits } from "./limits.ts";

export type SafeJsonResult = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

type Finding = "too-deep" | "forbidden-key" | undefined;

/**
 * Walks a parsed document once, bounded by depth, looking for keys that could pollute prototypes when the
 * data is later merged into other objects. The walk stops at `maxDepth`, so it never recurses further.
 */
function inspect(value: unknown, depth: number, maxDepth: number): Finding {
  if (typeof value !== "object" || value === null) return undefined;
  if (depth > maxDepth) return "too-deep";
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = inspect(item, depth + 1, maxDepth);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    if (FORBIDDEN_KEYS.has(key)) return "forbidden-key";
    const found = inspect((value as Record<string, unknown>)[key], depth + 1, maxDepth);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The path of the first forbidden key (a second walk, only when there is one). */
function forbiddenKeyPath(value: unknown, path: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenKeyPath(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    if (FORBIDDEN_KEYS.has(key)) return `${path}.${key}`;
    const found = forbiddenKeyPath((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * JSON.parse with the guards a hub needs: V8's parser is iterative, so deep nesting cannot overflow the stack
 * while parsing; depth and forbidden keys are checked in one bounded walk afterwards. The size limit is
 * enforced by the caller before decoding.
 */
export function parseJsonSafely(text: string, limits: ParseLimits): SafeJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // SyntaxError messages quote a snippet of the input, which may hold patient data: report a position only.
    const position = error instanceof SyntaxError ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? "" : ` (at character ${position})`;
    return {
      ok: false,
      issues: [fhirIssue("CAREHUB_ERR_FHIR_JSON_SYNTAX", "(input)", `the input is not well-formed JSON${where}`)],
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return {
      ok: false,
      issues: [fhirIssue("CAREHUB_ERR_FHIR_JSON_NOT_OBJECT", "(input)", "the JSON document is not an object")],
    };
  const finding = inspect(value, 1, limits.maxDepth);
  if (finding === "too-deep")
    return {
      ok: false,
      issues: [
        fhirIssue("CAREHUB_ERR_FHIR_TOO_DEEP", "(input)", `the document nests deeper than ${limits.maxDepth} levels`),
      ],
    };
  if (finding === "forbidden-key") {
    const root = (value as Record<string, unknown>).resourceType;
    const path = forbiddenKeyPath(value, typeof root === "string" ? root : "$") ?? "(input)";
    const key = path.slice(path.lastIndexOf(".") + 1);
    return {
      ok: false,
      issues: [fhirIssue("CAREHUB_ERR_FHIR_FORBIDDEN_KEY", path, `the key ${key} is not allowed in a FHIR document`)],
    };
  }
  return { ok: true, value };
}
