import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GATEWAY_ERROR_CODES } from "./gateway-errors.ts";

describe("gateway error codes", () => {
  it("are each listed, with stage gateway, in docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    for (const code of Object.values(GATEWAY_ERROR_CODES))
      expect(catalogue, code).toContain(`| \`${code}\` | gateway |`);
  });
});
