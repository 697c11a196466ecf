import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REGISTRY_NATS_AUTHORIZATION } from "./nats-authorization-error.ts";
import { REGISTRY_INVALID } from "./registry-config-error.ts";

describe("registry error codes", () => {
  it("are listed in the registry section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const start = catalogue.indexOf("## Endpoint registry");
    const section = catalogue.slice(start, catalogue.indexOf("\n## ", start + 1));
    expect(start).toBeGreaterThan(-1);
    expect(section).toContain(`\`${REGISTRY_INVALID}\``);
    expect(section).toContain(`\`${REGISTRY_NATS_AUTHORIZATION}\``);
  });
});
