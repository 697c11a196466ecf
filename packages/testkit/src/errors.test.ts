import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TESTKIT_ERROR_CODES } from "./errors.ts";

describe("testkit error codes", () => {
  it("are each listed in docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = catalogue.slice(catalogue.indexOf("### Testkit"));
    for (const code of TESTKIT_ERROR_CODES) expect(section, code).toContain(`\`${code}\``);
  });
});
