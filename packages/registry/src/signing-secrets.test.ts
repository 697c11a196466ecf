import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RegistryConfigInput, SecretReference } from "@carehub/schemas";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "@carehub/webhook-signature";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointRegistry } from "./endpoint-registry.ts";
import { loadRegistryFile } from "./load-registry-file.ts";
import { RegistryConfigError } from "./registry-config-error.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";

/** The small registry with `practice-a` (the HTTP endpoint) signing with these secrets. */
function signedRegistry(secrets: unknown[]): RegistryConfigInput {
  const config = smallRegistry();
  const practice = config.endpoints[0];
  if (practice === undefined || practice.delivery.mode !== "http") throw new Error("fixture changed");
  practice.delivery = { ...practice.delivery, signing: { secrets: secrets as SecretReference[] } };
  return config;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistryConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a RegistryConfigError");
}

/** True when the registry's secrets for practice-a sign what `secret` verifies. */
function signsWith(registry: EndpointRegistry, secret: string): boolean {
  const headers = signWebhook({
    id: "hub-1",
    timestampSeconds: Math.floor(Date.now() / 1000),
    body: Buffer.from("x"),
    secrets: registry.webhookSecrets("practice-a"),
  });
  try {
    verifyWebhookSignature({ body: Buffer.from("x"), headers, secrets: [secret] });
    return true;
  } catch {
    return false;
  }
}

describe("webhook signing secrets in the registry", () => {
  const inline = generateWebhookSecret();
  const fromEnv = generateWebhookSecret();
  const fromFile = generateWebhookSecret();
  let dir: string;
  let secretFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "carehub-signing-"));
    secretFile = join(dir, "practice-a.secret");
    // As `echo` writes it: with a trailing newline, which is not part of the secret.
    await writeFile(secretFile, `${fromFile}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("resolves { value }, { env } and { file } references, in order, one signature each", () => {
    const registry = EndpointRegistry.from(
      signedRegistry([{ value: inline }, { env: "PRACTICE_A_SECRET" }, { file: secretFile }]),
      "test",
      { env: { PRACTICE_A_SECRET: fromEnv } },
    );
    expect(registry.webhookSecrets("practice-a")).toHaveLength(3);
    expect(signsWith(registry, inline)).toBe(true);
    expect(signsWith(registry, fromEnv)).toBe(true);
    expect(signsWith(registry, fromFile)).toBe(true);
    expect(signsWith(registry, generateWebhookSecret())).toBe(false);
  });

  it("reads the environment and the files when the registry loads, not before", async () => {
    const path = join(dir, "endpoints.json");
    await writeFile(path, JSON.stringify(signedRegistry([{ env: "CAREHUB_TEST_SIGNING_SECRET" }])));
    const first = await loadRegistryFile(path, { env: { CAREHUB_TEST_SIGNING_SECRET: fromEnv } });
    const second = await loadRegistryFile(path, { env: { CAREHUB_TEST_SIGNING_SECRET: inline } });
    expect(signsWith(first, fromEnv)).toBe(true);
    expect(signsWith(second, inline)).toBe(true);
    expect(signsWith(second, fromEnv)).toBe(false);
  });

  it("refuses the registry listing every unusable secret with its path, and never quotes a secret", () => {
    const leaked = `${inline}-but-broken`;
    const config = signedRegistry([
      { env: "NOT_SET_ANYWHERE" },
      { file: join(dir, "missing.secret") },
      { value: leaked },
      { env: "SHORT_SECRET" },
    ]);
    const problems = problemsOf(() =>
      EndpointRegistry.from(config, "test", {
        env: { SHORT_SECRET: `whsec_${Buffer.alloc(8).toString("base64")}` },
      }),
    );
    expect(problems).toEqual([
      "endpoints[0].delivery.signing.secrets[0]: environment variable NOT_SET_ANYWHERE is not set (or empty)",
      `endpoints[0].delivery.signing.secrets[1]: secret file ${join(dir, "missing.secret")} cannot be read (ENOENT)`,
      "endpoints[0].delivery.signing.secrets[2]: the value is not usable: a webhook secret is whsec_ followed by standard base64",
      "endpoints[0].delivery.signing.secrets[3]: the value of environment variable SHORT_SECRET is not usable: a webhook secret holds 24 to 64 key bytes, this one 8",
    ]);
    expect(problems.join("\n")).not.toContain(inline.slice(6));
  });

  it("lists secret problems together with the schema problems of other entries", () => {
    const config = signedRegistry([{ env: "NOT_SET_ANYWHERE" }]);
    (config.endpoints[1] as { name: string }).name = "";
    const problems = problemsOf(() => EndpointRegistry.from(config, "test", { env: {} }));
    expect(problems).toContain("endpoints[1].name: Too small: expected string to have >=1 characters");
    expect(problems).toContain(
      "endpoints[0].delivery.signing.secrets[0]: environment variable NOT_SET_ANYWHERE is not set (or empty)",
    );
  });

  it("refuses a reference that is not exactly one of env, file or value, and a relative file", () => {
    const problems = problemsOf(() =>
      EndpointRegistry.from(
        signedRegistry([{ env: "A", value: inline }, {}, { file: "secrets/a" }, { vault: "x" }]),
        "test",
        { env: { A: fromEnv } },
      ),
    );
    const exactlyOne =
      "a secret is given as exactly one of { env: NAME }, { file: /path } or { value: whsec_… } (development only)";
    expect(problems).toContain(`endpoints[0].delivery.signing.secrets[0]: ${exactlyOne}`);
    expect(problems).toContain(`endpoints[0].delivery.signing.secrets[1]: ${exactlyOne}`);
    expect(problems).toContain(
      "endpoints[0].delivery.signing.secrets[2].file: a secret file is given by its absolute path",
    );
    expect(problems.some((p) => p.startsWith("endpoints[0].delivery.signing.secrets[3]: Unrecognized key"))).toBe(true);
  });

  it("names the HTTP endpoints that are not signed (NATS endpoints have nothing to sign)", () => {
    expect(EndpointRegistry.from(smallRegistry()).unsignedHttpEndpoints()).toEqual(["practice-a"]);
    const signed = EndpointRegistry.from(signedRegistry([{ value: inline }]));
    expect(signed.unsignedHttpEndpoints()).toEqual([]);
    expect(signed.webhookSecrets("acute-team")).toEqual([]);
  });

  it("keeps resolved keys out of the configuration and shows them redacted", () => {
    const registry = EndpointRegistry.from(signedRegistry([{ env: "PRACTICE_A_SECRET" }]), "test", {
      env: { PRACTICE_A_SECRET: fromEnv },
    });
    expect(JSON.stringify(registry.config())).not.toContain(fromEnv.slice(6));
    expect(JSON.stringify(registry.webhookSecrets("practice-a"))).toBe('["whsec_[redacted]"]');
  });

  it("cannot be built with a signed endpoint whose secrets were not resolved", () => {
    const config = EndpointRegistry.from(signedRegistry([{ value: inline }])).config();
    expect(() => new EndpointRegistry(config)).toThrow("signing secrets of endpoint practice-a were not resolved");
  });
});
