import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import { EndpointRegistry } from "./endpoint-registry.ts";
import { RegistryConfigError } from "./registry-config-error.ts";
import type { SecretSources } from "./signing-secrets.ts";

/**
 * Parses the text of a registry file: JSON when the name ends in .json, YAML otherwise. Syntax errors
 * are RegistryConfigError problems with their line and column. Webhook signing secrets are read from
 * `secretSources` (default: the process environment and the file system).
 */
export function parseRegistryText(text: string, source: string, secretSources?: SecretSources): EndpointRegistry {
  let data: unknown;
  if (extname(source).toLowerCase() === ".json") {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new RegistryConfigError(source, [`(syntax): ${(error as Error).message}`], { cause: error });
    }
  } else {
    const document = parseDocument(text);
    if (document.errors.length > 0) {
      const problems = document.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}, column ${at.col}` : "(syntax)"}: ${e.message.split(" at line ")[0]}`;
      });
      throw new RegistryConfigError(source, problems);
    }
    data = document.toJS();
  }
  return EndpointRegistry.from(data, source, secretSources);
}

/**
 * Reads and validates a registry file (YAML or JSON) and the signing secrets it refers to. Throws
 * RegistryConfigError listing every problem.
 */
export async function loadRegistryFile(path: string, secretSources?: SecretSources): Promise<EndpointRegistry> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new RegistryConfigError(path, [`(file): cannot read it (${(error as NodeJS.ErrnoException).code})`], {
      cause: error,
    });
  }
  return parseRegistryText(text, path, secretSources);
}
