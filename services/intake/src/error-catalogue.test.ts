import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INTAKE_ERROR_CODES } from "./intake-errors.ts";

describe("intake error codes", () => {
  it("are each listed, with stage intake, in docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    for (const code of Object.values(INTAKE_ERROR_CODES)) expect(catalogue, code).toContain(`| \`${code}\` | intake |`);
  });
});
