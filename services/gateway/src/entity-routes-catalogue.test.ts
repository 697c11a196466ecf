import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENTITY_QUERY_ERROR_CODES } from "./entity-routes.ts";

describe("entity query error codes", () => {
  it("are each listed in the Tracker section of docs/errors.md", () => {
    const catalogue = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const tracker = catalogue.slice(catalogue.indexOf("## Tracker"));
    for (const code of Object.values(ENTITY_QUERY_ERROR_CODES)) expect(tracker, code).toContain(`| \`${code}\` |`);
  });
});
