import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("simulator error codes", () => {
  it("are each listed in the Simulator section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const start = catalogue.indexOf("## Simulator");
    const documented = catalogue.slice(start, catalogue.indexOf("\n## ", start + 1));
    const directory = new URL("./", import.meta.url);
    const codes = new Set<string>();
    for (const file of readdirSync(directory)) {
      if (!file.endsWith(".ts") || file.includes(".test")) continue;
      for (const match of readFileSync(new URL(file, directory), "utf8").matchAll(/CAREHUB_ERR_SIMULATOR_[A-Z_]+/g)) {
        codes.add(match[0]);
      }
    }
    expect(codes.size).toBeGreaterThan(0);
    for (const code of codes) expect(documented, code).toContain(`\`${code}\``);
  });
});
