import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EndpointRegistry } from "./endpoint-registry.ts";
import { loadRegistryFile } from "./load-registry-file.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";
import { hashToken } from "./token-hash.ts";

describe("EndpointRegistry", () => {
  const registry = EndpointRegistry.from(smallRegistry());

  // Registries on disk hold these digests: catches a token hash that is no longer the sha256 hex of its UTF-8 bytes
  // (every stored token refused), e.g. after a change of how it is computed (decision 0117).
  it("hashes a token to the sha256 hex of its UTF-8 bytes, as registries store it", () => {
    expect(hashToken("token-a")).toBe("a70bf50e531ce1a817561f2f5d5b6645d4e806becf58ccc5e8cf6b8045a090a8");
    expect(hashToken("tøken")).toBe("41fa1bd47905810df2c5fcca5f9e612ffaac16afd07bb2aaf4ec08ba87bde6d2");
  });

  it("authenticates each of an endpoint's tokens and nothing else", () => {
    expect(registry.authenticate("token-a")?.id).toBe("practice-a");
    expect(registry.authenticate("token-a-rotated")?.id).toBe("practice-a");
    expect(registry.authenticate("token-b")?.id).toBe("acute-team");
    expect(registry.authenticate("token-a ")).toBeUndefined();
    expect(registry.authenticate("")).toBeUndefined();
  });

  it("authenticates an operator's token as that operator, never as an endpoint, and an endpoint's never as an operator", () => {
    expect(registry.authenticateOperator("token-ops")?.id).toBe("ops-alice");
    expect(registry.authenticate("token-ops")).toBeUndefined();
    expect(registry.authenticateOperator("token-a")).toBeUndefined();
    expect(registry.authenticateOperator("")).toBeUndefined();
    expect(registry.operators().map((o) => o.id)).toEqual(["ops-alice"]);
  });

  it("expects acknowledgements of every kind unless the registry says a kind needs none", () => {
    expect(registry.acknowledgementExpected("notification")).toBe(true);
    const advisering = EndpointRegistry.from({
      ...smallRegistry(),
      kinds: { notification: { acknowledgement: "not-expected" }, referral: {} },
    });
    expect(advisering.acknowledgementExpected("notification")).toBe(false);
    expect(advisering.acknowledgementExpected("referral")).toBe(true);
    expect(advisering.acknowledgementExpected("care-communication")).toBe(true);
    expect(() => EndpointRegistry.from({ ...smallRegistry(), kinds: { gossip: {} } })).toThrow(/kinds/);
  });

  it("resolves a party by SOR first, then by GLN", () => {
    expect(registry.resolveParty({ sor: "52581000016005" })?.id).toBe("practice-a");
    expect(registry.resolveParty({ gln: "5790000123117" })?.id).toBe("acute-team");
    // SOR wins when both name different endpoints.
    expect(registry.resolveParty({ sor: "52581000016005", gln: "5790000123117" })?.id).toBe("practice-a");
    // An unknown SOR falls back to the GLN.
    expect(registry.resolveParty({ sor: "99999999999", gln: "5790000188888" })?.id).toBe("databank");
    expect(registry.resolveParty({ sor: "99999999999" })).toBeUndefined();
  });

  it("finds endpoints by id and exposes rules and the hub identity", () => {
    expect(registry.byId("databank")?.kind).toBe("databank");
    expect(registry.byId("nobody")).toBeUndefined();
    expect(registry.endpoints().map((e) => e.id)).toEqual(["practice-a", "acute-team", "databank"]);
    expect(registry.rules()[0]?.copyTo).toEqual(["databank"]);
    expect(registry.hub.gln).toBe("5790000199990");
    expect(registry.isHub({ sor: "481521000016007" })).toBe(true);
    expect(registry.isHub({ sor: "52581000016005" })).toBe(false);
  });

  it("is an immutable snapshot, independent of the object it was built from", () => {
    const input = smallRegistry();
    const snapshot = EndpointRegistry.from(input);
    input.endpoints[0]?.sends.push("referral");
    expect(snapshot.byId("practice-a")?.sends).toEqual(["lab-result", "acknowledgement"]);
    expect(Object.isFrozen(snapshot.byId("practice-a")?.sends)).toBe(true);
    expect(() => (snapshot.endpoints() as unknown[]).push({})).toThrow();
  });

  it("applies the schema defaults", () => {
    expect(registry.byId("practice-a")?.ackTimeoutSeconds).toBe(1800);
    expect(registry.byId("practice-a")?.retryWindowSeconds).toBe(86_400);
    expect(registry.byId("practice-a")?.maxDeliveryAttempts).toBeUndefined();
  });

  it("gives equal configurations the same version and different ones different versions", () => {
    const other = smallRegistry();
    expect(EndpointRegistry.from(smallRegistry()).version).toBe(registry.version);
    other.hub.name = "renamed";
    expect(EndpointRegistry.from(other).version).not.toBe(registry.version);
  });

  it("loads the sample registry in infra/ and its documented dev tokens work", async () => {
    const path = fileURLToPath(new URL("../../../infra/endpoints.yaml", import.meta.url));
    const sample = await loadRegistryFile(path);
    expect(sample.endpoints().length).toBeGreaterThanOrEqual(5);
    for (const endpoint of sample.endpoints()) {
      expect(sample.authenticate(`dev-token-${endpoint.id}`)?.id).toBe(endpoint.id);
    }
    const kinds = new Set(sample.endpoints().map((e) => e.kind));
    expect([...kinds].sort()).toEqual(["databank", "hospital", "laboratory", "municipality", "practice"]);
    expect(sample.rules().map((r) => r.id)).toContain("lab-databank-copy");
    // The development operator (README): reads everything through the query API.
    expect(sample.authenticateOperator("dev-token-operator")?.id).toBe("operator");
    // Every HTTP endpoint of the sample signs its deliveries with its development secret (docs/decisions/0010).
    expect(sample.unsignedHttpEndpoints()).toEqual([]);
    for (const endpoint of sample.endpoints()) {
      if (endpoint.delivery.mode === "http") expect(sample.webhookSecrets(endpoint.id)).toHaveLength(1);
    }
  });
});
