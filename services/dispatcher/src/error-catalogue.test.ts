import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WAIT_CODES } from "./delivery-wait.ts";
import { DISPATCH_ERROR_CODES } from "./dispatch-errors.ts";

const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("error catalogue", () => {
  it("lists every code the dispatcher raises, with its stage", () => {
    for (const code of [...Object.values(DISPATCH_ERROR_CODES), ...Object.values(WAIT_CODES)]) {
      expect(catalogue, code).toMatch(new RegExp(`\\| \`${code}\` \\| dispatcher \\|`));
    }
  });
});
