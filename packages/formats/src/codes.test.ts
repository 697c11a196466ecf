import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FORMAT_ERROR_CODES } from "./codes.ts";

const ERRORS_MD = join(import.meta.dirname, "../../../docs/errors.md");

function documentedCodes(heading: string): Set<string> {
  const markdown = readFileSync(ERRORS_MD, "utf8");
  const start = markdown.indexOf(`## ${heading}`);
  const end = markdown.indexOf("\n## ", start + 3);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return new Set([...section.matchAll(/^\|\s*`(CAREHUB_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1] ?? ""));
}

describe("the error catalogue (docs/errors.md, Formats: detection and limits)", () => {
  const documented = documentedCodes("Formats: detection and limits");

  it("lists every code the package defines, and no other", () => {
    expect([...documented].sort()).toEqual(Object.values(FORMAT_ERROR_CODES).sort());
  });

  it("lists every CAREHUB_ERR_ literal in the package source", () => {
    const dir = import.meta.dirname;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      for (const match of readFileSync(join(dir, file), "utf8").matchAll(/"(CAREHUB_ERR_[A-Z0-9_]+)"/g)) {
        expect(documented.has(match[1] ?? ""), `${file}: ${match[1]}`).toBe(true);
      }
    }
  });
});
