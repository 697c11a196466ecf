import { readFileSync } from "node:fs";
import { HttpDelivery, type SecretReference } from "@carehub/schemas";
import { WebhookSecret, webhookSecretProblem } from "@carehub/webhook-signature";
import { formatPath } from "./validate-registry-config.ts";

/**
 * Where secret references are read from. Defaults: the process environment and the file system, read when the
 * registry loads or reloads (never on import). Tests pass their own.
 */
export interface SecretSources {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
}

export interface ResolvedSigningSecrets {
  /** The signing secrets of each HTTP endpoint that has `delivery.signing`, in registry order. */
  byEndpoint: ReadonlyMap<string, readonly WebhookSecret[]>;
  /** `<path>: <problem>` for every reference that cannot be used; never quotes a secret. */
  problems: string[];
}

/**
 * Reads every endpoint's webhook signing secrets (`delivery.signing.secrets`: `{ env }`, `{ file }` or
 * `{ value }`). Works on the raw registry input, so the problems of an endpoint come out together with the
 * schema problems of other entries (and of its own other fields): a missing variable or file, an unreadable
 * file, text that is not a `whsec_` secret.
 */
export function resolveSigningSecrets(input: unknown, sources: SecretSources = {}): ResolvedSigningSecrets {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const byEndpoint = new Map<string, readonly WebhookSecret[]>();
  const problems: string[] = [];
  const endpoints = isRecord(input) && Array.isArray(input.endpoints) ? input.endpoints : [];
  endpoints.forEach((raw: unknown, e) => {
    if (!isRecord(raw)) return;
    const delivery = HttpDelivery.safeParse(raw.delivery);
    // A delivery that fails its schema is reported by the schema check; a NATS one has nothing to sign.
    if (!delivery.success || delivery.data.signing === undefined) return;
    const secrets: WebhookSecret[] = [];
    delivery.data.signing.secrets.forEach((reference, s) => {
      const path = formatPath(["endpoints", e, "delivery", "signing", "secrets", s]);
      const resolved = readReference(reference, env, readFile);
      if (typeof resolved === "object") {
        problems.push(`${path}: ${resolved.problem}`);
        return;
      }
      const problem = webhookSecretProblem(resolved);
      if (problem === undefined) secrets.push(WebhookSecret.parse(resolved));
      else problems.push(`${path}: ${describe(reference)} is not usable: ${problem}`);
    });
    if (typeof raw.id === "string") byEndpoint.set(raw.id, Object.freeze(secrets));
  });
  return { byEndpoint, problems };
}

function readReference(
  reference: SecretReference,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): string | { problem: string } {
  if (reference.env !== undefined) {
    const value = env[reference.env];
    if (value === undefined || value.trim() === "") {
      return { problem: `environment variable ${reference.env} is not set (or empty)` };
    }
    return value.trim();
  }
  if (reference.file !== undefined) {
    try {
      // A trailing newline (echo, editors, mounted secrets) is not part of the secret.
      return readFile(reference.file).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
      return { problem: `secret file ${reference.file} cannot be read (${code})` };
    }
  }
  return reference.value ?? "";
}

function describe(reference: SecretReference): string {
  if (reference.env !== undefined) return `the value of environment variable ${reference.env}`;
  if (reference.file !== undefined) return `the content of ${reference.file}`;
  return "the value";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
