import { describe, expect, it } from "vitest";
import { RegistryConfigError } from "./registry-config-error.ts";
import { smallRegistry } from "./registry-fixture.test-support.ts";
import { formatPath, validateRegistryConfig } from "./validate-registry-config.ts";

function problemsOf(input: unknown): readonly string[] {
  try {
    validateRegistryConfig(input, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryConfigError);
    expect((error as RegistryConfigError).code).toBe("CAREHUB_ERR_REGISTRY_INVALID");
    return (error as RegistryConfigError).problems;
  }
  throw new Error("expected the configuration to be refused");
}

describe("validateRegistryConfig", () => {
  it("accepts a valid configuration", () => {
    expect(validateRegistryConfig(smallRegistry()).endpoints).toHaveLength(3);
  });

  it("lists every cross-entry problem with its path", () => {
    const config = smallRegistry();
    const [a, b, c] = config.endpoints;
    if (!a || !b || !c) throw new Error("fixture");
    b.id = "practice-a"; // duplicate id
    b.identifiers.sor = ["52581000016005"]; // duplicate SOR
    c.identifiers.gln = ["5790000127092"]; // duplicate GLN
    c.auth.tokenSha256 = [...b.auth.tokenSha256]; // duplicate token hash
    config.hub.gln = "5790000123117"; // the hub's GLN used by an endpoint
    config.rules = [
      { id: "to-nowhere", when: {}, copyTo: ["nobody"] },
      { id: "wrong-kind", when: { kind: "referral" }, copyTo: ["databank"] },
    ];
    const problems = problemsOf(config);
    expect(problems).toEqual(
      expect.arrayContaining([
        "endpoints[1].id: id practice-a is already used by endpoint practice-a",
        "endpoints[1].identifiers.sor[0]: SOR id 52581000016005 is already used by endpoint practice-a",
        "endpoints[2].identifiers.gln[0]: GLN 5790000127092 is already used by endpoint practice-a",
        "endpoints[2].auth.tokenSha256[0]: this token hash is already used by endpoint practice-a",
        "endpoints[1].identifiers.gln[0]: GLN 5790000123117 is already used by the hub",
        "rules[0].copyTo[0]: no endpoint has the id nobody",
        "rules[1].copyTo[0]: endpoint databank does not accept referral",
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it("checks operators like endpoints: ids unique with the endpoints', token hashes unique across both", () => {
    const config = smallRegistry();
    const endpointToken = config.endpoints[0]?.auth.tokenSha256[0] ?? "";
    config.operators = [
      { id: "ops-alice", name: "Alice", tokenSha256: [endpointToken] },
      { id: "ops-alice", name: "Alice again", tokenSha256: ["f".repeat(64)] },
      { id: "databank", name: "Not an endpoint", tokenSha256: ["e".repeat(64), "f".repeat(64)] },
      { id: "Bad Id", name: "", tokenSha256: ["not-a-hash"] },
    ];
    const problems = problemsOf(config);
    expect(problems).toEqual(
      expect.arrayContaining([
        "operators[0].tokenSha256[0]: this token hash is already used by endpoint practice-a",
        "operators[1].id: id ops-alice is already used by operator ops-alice",
        "operators[2].id: id databank is already used by endpoint databank",
        "operators[2].tokenSha256[1]: this token hash is already used by operator ops-alice",
        "operators[3].id: an operator id is lower-case letters, digits and dashes",
        "operators[3].tokenSha256[0]: a token hash is 64 lower-case hex digits (sha256)",
      ]),
    );
    expect(problems.some((p) => p.startsWith("operators[3].name:"))).toBe(true);
    expect(problems).toHaveLength(7);
  });

  it("takes a registry without operators (none: only endpoints read the query API)", () => {
    const config = smallRegistry();
    delete config.operators;
    expect(validateRegistryConfig(config).operators).toEqual([]);
  });

  it("reports per-entry schema problems and cross-entry problems together", () => {
    const config = smallRegistry() as unknown as { endpoints: Array<Record<string, unknown>> };
    const [a, b, c] = config.endpoints;
    if (!a || !b || !c) throw new Error("fixture");
    a.kind = "pharmacy";
    b.identifiers = { sor: ["5790"], gln: ["5790000127093"] };
    c.id = "acute-team";
    const problems = problemsOf(config);
    expect(problems.some((p) => p.startsWith("endpoints[0].kind:"))).toBe(true);
    expect(problems).toContain("endpoints[1].identifiers.sor[0]: a SOR id is 11 to 18 digits");
    expect(problems).toContain("endpoints[1].identifiers.gln[0]: GLN check digit (GS1 mod-10) is wrong");
    // The rule's target was renamed away: reported although other entries are invalid.
    expect(problems).toContain("rules[0].copyTo[0]: no endpoint has the id databank");
    expect(problems).toHaveLength(4);
  });

  it("does not call a rule target missing when that endpoint is only invalid", () => {
    const config = smallRegistry() as unknown as { endpoints: Array<Record<string, unknown>> };
    const databank = config.endpoints[2];
    if (!databank) throw new Error("fixture");
    databank.kind = "bank";
    const problems = problemsOf(config);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^endpoints\[2\]\.kind:/);
  });

  it("refuses a file without endpoints or hub identity", () => {
    const problems = problemsOf({ endpoints: [] });
    expect(problems.some((p) => p.startsWith("hub:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("endpoints:"))).toBe(true);
  });

  it("formats paths the way people read them", () => {
    expect(formatPath(["endpoints", 2, "identifiers", "sor", 0])).toBe("endpoints[2].identifiers.sor[0]");
    expect(formatPath([])).toBe("(root)");
  });
});
