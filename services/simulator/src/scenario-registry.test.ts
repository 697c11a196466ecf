import { RegistryConfig } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { demoScenario, smallScenario } from "./scenario.ts";
import { buildScenarioRegistry, DEMO_OPERATOR_ID, sha256Hex } from "./scenario-registry.ts";

describe("buildScenarioRegistry", () => {
  it("builds a valid registry for the demo region with a token per endpoint, stored only as its hash", () => {
    const { registry, tokens, endpoints } = buildScenarioRegistry(demoScenario(), {
      seed: 42,
      webhookUrl: (id) => `http://127.0.0.1:5000/${id}`,
    });
    expect(RegistryConfig.safeParse(registry).success).toBe(true);
    const counts = Object.fromEntries(
      ["practice", "municipality", "acute-team", "hospital", "laboratory", "databank"].map((role) => [
        role,
        endpoints.filter((e) => e.role === role).length,
      ]),
    );
    expect(counts).toEqual({ practice: 20, municipality: 3, "acute-team": 1, hospital: 2, laboratory: 1, databank: 1 });
    for (const endpoint of registry.endpoints) {
      const token = tokens[endpoint.id];
      expect(token).toBeDefined();
      expect(endpoint.auth.tokenSha256).toEqual([sha256Hex(token ?? "")]);
      expect(JSON.stringify(registry)).not.toContain(token);
    }
    expect(registry.endpoints.filter((e) => e.kind === "practice").every((e) => e.identifiers.ydernummer)).toBe(true);
  });

  it("has an operator for the demo's queries, its token stored only as its hash", () => {
    const { registry, operatorToken } = buildScenarioRegistry(demoScenario(), { seed: 42 });
    expect(registry.operators).toEqual([
      { id: DEMO_OPERATOR_ID, name: expect.any(String), role: "operator", tokenSha256: [sha256Hex(operatorToken)] },
    ]);
    expect(operatorToken).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(registry)).not.toContain(operatorToken);
    expect(RegistryConfig.safeParse(registry).success).toBe(true);
    expect(buildScenarioRegistry(smallScenario(), { operatorToken: "fixed" }).operatorToken).toBe("fixed");
  });

  it("routes practice-produced, consented lab results to the databank", () => {
    const { registry } = buildScenarioRegistry(smallScenario(), { seed: 1 });
    expect(registry.rules).toEqual([
      expect.objectContaining({
        when: { kind: "lab-result", senderKind: "practice", consentGiven: true, producedBySender: true },
        copyTo: ["laboratoriedatabanken"],
      }),
    ]);
    // It takes XRPT01: a practice's FHIR lab results are translated for it; no one else's deliveries are.
    const formats = registry.endpoints.filter((e) => e.delivery.format !== undefined);
    expect(formats.map((e) => [e.id, e.delivery.format])).toEqual([["laboratoriedatabanken", "oioxml"]]);
  });

  it("draws identities from the seed: same seed same identifiers, another seed others", () => {
    const ids = (seed: number) =>
      buildScenarioRegistry(smallScenario(), { seed }).registry.endpoints.map((e) => e.identifiers);
    expect(ids(5)).toEqual(ids(5));
    expect(ids(5)).not.toEqual(ids(6));
  });

  it("delivers to the configured NATS endpoints through their inbox", () => {
    const { registry } = buildScenarioRegistry(smallScenario({ natsEndpoints: ["laegehuset-agerskov"] }));
    expect(registry.endpoints.find((e) => e.id === "laegehuset-agerskov")?.delivery).toEqual({ mode: "nats" });
    expect(registry.endpoints.find((e) => e.id === "laegehuset-skodstrup")?.delivery.mode).toBe("http");
  });

  it("signs every HTTP endpoint's webhooks with its own generated secret, and no NATS endpoint's", () => {
    const { registry, signingSecrets } = buildScenarioRegistry(
      smallScenario({ natsEndpoints: ["laegehuset-agerskov"] }),
    );
    const http = registry.endpoints.filter((e) => e.delivery.mode === "http");
    expect(http.length).toBeGreaterThan(1);
    for (const endpoint of registry.endpoints) {
      if (endpoint.delivery.mode === "nats") {
        expect(signingSecrets[endpoint.id]).toBeUndefined();
        continue;
      }
      expect(signingSecrets[endpoint.id]).toMatch(/^whsec_/);
      expect(endpoint.delivery.signing).toEqual({ secrets: [{ value: signingSecrets[endpoint.id] }] });
    }
    expect(new Set(Object.values(signingSecrets)).size).toBe(http.length);
    // A new run gets new secrets.
    const again = buildScenarioRegistry(smallScenario({ natsEndpoints: ["laegehuset-agerskov"] }));
    expect(Object.values(again.signingSecrets)).not.toContain(Object.values(signingSecrets)[0]);
  });
});
