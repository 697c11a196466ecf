import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROCESS_ENV_VARIABLES } from "./service-settings.ts";

// The README's configuration table is what operators set. A variable in it that no process reads is a
// setting that silently does nothing (CAREHUB_TRACKER_STALE_DAYS under `carehub start` once was); one a process
// reads that the table leaves out is a setting nobody can find.
const README = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

function documentedVariables(): string[] {
  const section = README.split("## Configuration")[1]?.split("\n## ")[0] ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("| `"));
  const firstColumns = rows.map((row) => row.split("|")[1] ?? "");
  return firstColumns.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] ?? ""));
}

describe("the README's configuration table", () => {
  it("lists exactly the variables a carehub start process reads", () => {
    expect(documentedVariables().length).toBeGreaterThan(10);
    expect([...new Set(documentedVariables())].sort()).toEqual([...new Set(PROCESS_ENV_VARIABLES)].sort());
  });
});
