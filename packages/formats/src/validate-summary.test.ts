import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LETTER_TYPES } from "@carehub/medcom-xml";
import { describe, expect, it } from "vitest";
import { runValidateCommand } from "./validate-files.ts";
import { summariseCorpus } from "./validate-summary.ts";

const corpus = fileURLToPath(new URL("../../../test/fixtures/medcom/", import.meta.url));
const script = fileURLToPath(new URL("../scripts/build-corpus.ts", import.meta.url));

describe("the repository's conformance corpus (test/fixtures/medcom)", () => {
  // Catches: any file classified other than its source says (a valid example refused, a negative case accepted
  // or refused with the wrong code), or a file added without an expected verdict.
  it("classifies every file as the manifest says", async () => {
    const summary = await summariseCorpus(corpus);
    expect(summary.mismatches).toEqual([]);
    expect(summary.files).toBeGreaterThanOrEqual(160);
    expect(summary.byFormat["fhir+xml"]).toBeGreaterThanOrEqual(15);
    expect(summary.byFormat["fhir+json"]).toBeGreaterThanOrEqual(40);
  }, 60_000);

  // Catches: a letter type added to the table without a corpus message of its own.
  it("holds a valid letter of every OIOXML letter type", () => {
    const manifest = JSON.parse(readFileSync(join(corpus, "manifest.json"), "utf8")) as {
      files: Record<string, unknown>;
    };
    const names = Object.keys(manifest.files).join("\n");
    for (const type of LETTER_TYPES.filter((t) => t.receipt === undefined))
      expect(names).toContain(`_${type.element}.xml`);
  });

  // Catches: the committed built/ files drifting from what the builders make now.
  it("is what build-corpus.ts builds", () => {
    const out = execFileSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(out).toMatch(/up to date/);
  }, 60_000);
});

describe("carehub validate --summary", () => {
  function corpusOf(manifest: unknown, files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "carehub-corpus-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    return dir;
  }
  const message = readFileSync(join(corpus, "built/fhir/cc.json"), "utf8");

  // Catches: a summary that only counts, so a wrong verdict, an unlisted file or a lost file goes unnoticed.
  it("reports a wrong verdict, an unlisted file and a listed file that is missing, and exits 1", async () => {
    const dir = corpusOf(
      {
        files: {
          "cc.json": { verdict: "invalid", code: "CAREHUB_ERR_FHIR_CC_CATEGORY", source: "test" },
          "gone.json": { verdict: "valid", kind: "care-communication", source: "test" },
        },
      },
      { "cc.json": message, "extra.json": message },
    );
    const summary = await summariseCorpus(dir);
    expect(summary.mismatches.map((m) => m.file).sort()).toEqual(["cc.json", "extra.json", "gone.json"]);
    expect(summary.byVerdict).toEqual({ valid: 2 });
    const lines: string[] = [];
    expect(await runValidateCommand(["--summary", dir], { stdout: (l) => lines.push(l) })).toBe(1);
    expect(JSON.parse(lines.join("\n")).mismatches).toHaveLength(3);
  });

  // Catches: a valid verdict of the wrong kind passing as a match.
  it("compares the kind of a valid message", async () => {
    const dir = corpusOf(
      { files: { "cc.json": { verdict: "valid", kind: "referral", source: "test" } } },
      { "cc.json": message },
    );
    expect((await summariseCorpus(dir)).mismatches).toEqual([
      { file: "cc.json", expected: "valid referral", actual: "valid care-communication" },
    ]);
  });
});
