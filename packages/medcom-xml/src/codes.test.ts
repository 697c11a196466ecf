import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OIOXML_BUILD_INVALID_INPUT, OIOXML_ERROR_CODES, REFUSE_CODE_FOR } from "./codes.ts";

const ERRORS_MD = join(import.meta.dirname, "../../../docs/errors.md");

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = markdown.indexOf("\n## ", start + 3);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** code → its table row cells, from the docs section. */
function rows(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const code = /^`(CAREHUB_ERR_[A-Z0-9_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (code) map.set(code, cells.slice(1, -1));
  }
  return map;
}

describe("the error catalogue (docs/errors.md, Formats: OIOXML)", () => {
  const documented = rows(section(readFileSync(ERRORS_MD, "utf8"), "Formats: OIOXML"));
  const codes = [...Object.values(OIOXML_ERROR_CODES), OIOXML_BUILD_INVALID_INPUT];

  it("lists every code the package defines, and no other", () => {
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
  });

  it("lists every CAREHUB_ERR_ literal in the package source", () => {
    const dir = import.meta.dirname;
    const literals = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      for (const match of readFileSync(join(dir, file), "utf8").matchAll(/"(CAREHUB_ERR_[A-Z0-9_]+)"/g)) {
        if (match[1]) literals.add(match[1]);
      }
    }
    expect(literals.size).toBeGreaterThan(10);
    for (const literal of literals) expect(documented.has(literal), literal).toBe(true);
  });

  it("documents the refuse code the parser attaches to each code", () => {
    for (const [code, refuse] of Object.entries(REFUSE_CODE_FOR)) {
      const cells = documented.get(code) ?? [];
      if (code === OIOXML_ERROR_CODES.BOOKING_REFERRAL_UNKNOWN) continue; // a warning: never refused
      expect(cells[3], code).toContain(`\`${refuse}\``);
    }
  });
});
