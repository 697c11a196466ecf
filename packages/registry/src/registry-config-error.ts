import { PermanentError } from "@carehub/schemas";

export const REGISTRY_INVALID = "CAREHUB_ERR_REGISTRY_INVALID";

/**
 * A registry file that cannot be used: unreadable, not YAML/JSON, or failing the schema. Lists every
 * problem at once, each as `<path>: <message>`, so an operator fixes the file in one pass.
 */
export class RegistryConfigError extends PermanentError {
  readonly source: string;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(REGISTRY_INVALID, `invalid endpoint registry ${source}:\n  ${problems.join("\n  ")}`, options);
    this.name = "RegistryConfigError";
    this.source = source;
    this.problems = problems;
  }
}

export function isRegistryConfigError(value: unknown): value is RegistryConfigError {
  return value instanceof RegistryConfigError;
}
