import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { STORE_ERROR_CODES } from "./store-errors.ts";

const catalogue = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");
const trackerSection = catalogue.slice(catalogue.indexOf("## Tracker"));

describe("error catalogue", () => {
  it.each(STORE_ERROR_CODES)("lists %s in the Tracker section of docs/errors.md", (code) => {
    expect(trackerSection).toContain(`| \`${code}\` |`);
  });
});
