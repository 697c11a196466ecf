import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

function section(title: string): string {
  const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const start = catalogue.indexOf(`## ${title}`);
  const end = catalogue.indexOf("\n## ", start + 1);
  return catalogue.slice(start, end === -1 ? undefined : end);
}

describe("client error codes", () => {
  it("are each listed in the Client SDK section of docs/errors.md", () => {
    const directory = new URL("./", import.meta.url);
    const codes = new Set<string>();
    for (const file of readdirSync(directory)) {
      if (!file.endsWith(".ts") || file.includes(".test")) continue;
      for (const match of readFileSync(new URL(file, directory), "utf8").matchAll(/CAREHUB_ERR_CLIENT_[A-Z_]+/g)) {
        codes.add(match[0]);
      }
    }
    expect(codes.size).toBeGreaterThan(5);
    const documented = section("Client SDK");
    for (const code of codes) expect(documented, code).toContain(`\`${code}\``);
  });
});
