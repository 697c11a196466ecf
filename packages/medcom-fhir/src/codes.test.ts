import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FHIR_ISSUE_CODES } from "./codes.ts";
import { ACKNOWLEDGEMENT_ISSUE_DETAILS } from "./terminology/medcom-codes.ts";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const catalogue = readFileSync(join(packageDir, "..", "..", "docs", "errors.md"), "utf8");

function fhirSection(): string {
  const start = catalogue.indexOf("## Formats: FHIR");
  const end = catalogue.indexOf("\n## ", start + 1);
  return catalogue.slice(start, end < 0 ? undefined : end);
}

describe("the FHIR error catalogue", () => {
  const rows = new Map(
    fhirSection()
      .split("\n")
      .filter((line) => line.startsWith("| `CAREHUB_ERR_"))
      .map((line) => [line.split("|")[1]?.trim().replaceAll("`", "") ?? "", line]),
  );

  it("lists every code this package can report, with its MedCom ack issue code", () => {
    for (const [code, info] of Object.entries(FHIR_ISSUE_CODES)) {
      const row = rows.get(code);
      expect(row, `${code} missing from docs/errors.md`).toBeDefined();
      if (info.medcom !== undefined) expect(row).toContain(`\`${info.medcom}\``);
    }
  });

  it("lists no FHIR code the package does not have", () => {
    expect([...rows.keys()].filter((code) => !Object.hasOwn(FHIR_ISSUE_CODES, code))).toEqual([]);
  });

  it("uses only MedCom acknowledgement issue-details codes", () => {
    const known = new Set([...ACKNOWLEDGEMENT_ISSUE_DETAILS].map((key) => key.split("|")[1]));
    for (const info of Object.values(FHIR_ISSUE_CODES))
      if (info.medcom !== undefined) expect(known).toContain(info.medcom);
  });
});

describe("generated modules", () => {
  // Regenerating must change nothing: the committed tables are what the scripts produce from their sources.
  it.each(["generate-terminology.ts", "generate-fhir-model.ts"])("%s --check passes", (script) => {
    const out = execFileSync(process.execPath, [join(packageDir, "scripts", script), "--check"], { encoding: "utf8" });
    expect(out).toMatch(/up to date/);
  });
});
