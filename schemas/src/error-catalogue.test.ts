import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The whole catalogue against the whole source: a code a package writes that docs/errors.md does not list is
// an error an operator cannot look up; a listed code nothing writes is a promise the code does not keep.
// Tests and their support files are left out (they may invent codes to test the machinery).
const ROOT = new URL("../../", import.meta.url).pathname;
const CODE = /CAREHUB_ERR_[A-Z0-9_]*[A-Z0-9]/g;

function sourceFiles(): string[] {
  const roots = [
    "schemas/src",
    ...["packages", "services"].flatMap((group) =>
      readdirSync(join(ROOT, group), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${group}/${entry.name}/src`),
    ),
  ];
  return roots.flatMap((root) =>
    readdirSync(join(ROOT, root), { recursive: true, encoding: "utf8" })
      .filter((path) => path.endsWith(".ts") && !/\.test(-support)?\.ts$|\.test\.ts$/.test(path))
      .filter((path) => !path.split("/").includes("node_modules"))
      .map((path) => join(ROOT, root, path)),
  );
}

function codesInSource(): Map<string, string> {
  const where = new Map<string, string>();
  for (const file of sourceFiles()) {
    for (const [code] of readFileSync(file, "utf8").matchAll(CODE)) {
      if (!where.has(code)) where.set(code, file.slice(ROOT.length));
    }
  }
  return where;
}

function codesInCatalogue(): Set<string> {
  const text = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
  return new Set([...text.matchAll(/^\| `(CAREHUB_ERR_[A-Z0-9_]+)` *\|/gm)].map((m) => m[1] ?? ""));
}

describe("the error catalogue (docs/errors.md)", () => {
  const source = codesInSource();
  const catalogue = codesInCatalogue();

  it("lists every code the source of schemas, packages and services writes", () => {
    expect(source.size).toBeGreaterThan(100);
    const missing = [...source].filter(([code]) => !catalogue.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it("lists no code that nothing writes", () => {
    expect([...catalogue].filter((code) => !source.has(code))).toEqual([]);
  });
});
