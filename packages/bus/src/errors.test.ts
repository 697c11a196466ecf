import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUS_ERROR_CODES } from "./errors.ts";

describe("bus error codes", () => {
  it("are each listed in the Bus section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = catalogue.slice(
      catalogue.indexOf("## Bus"),
      catalogue.indexOf("\n## ", catalogue.indexOf("## Bus") + 1),
    );
    for (const code of BUS_ERROR_CODES) expect(section, code).toContain(`\`${code}\``);
  });
});
