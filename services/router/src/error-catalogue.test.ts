import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ROUTER_ERROR_CODES } from "./routing-errors.ts";

const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("error catalogue", () => {
  it("lists every code the router raises, with its stage", () => {
    for (const code of Object.values(ROUTER_ERROR_CODES)) {
      expect(catalogue, code).toMatch(new RegExp(`\\| \`${code}\` \\| router \\|`));
    }
  });
});
