import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { runValidateCommand, type ValidateLine, validateFiles } from "./validate-files.ts";

const OIOXML_DIR = medcomExamplesDir("oioxml");
const FHIR_DIR = medcomExamplesDir("fhir");
/** The README of the shared examples names these as the known-bad files. */
const KNOWN_BAD = ["XRPT05_6092035412.xml", "XRPT01_1.xml"];
const MAIN = join(import.meta.dirname, "validate-main.ts");
const allOioxml = readdirSync(OIOXML_DIR).map((f) => join(OIOXML_DIR, f));
const validOioxml = allOioxml.filter((f) => !KNOWN_BAD.some((bad) => f.endsWith(bad)));

const scratch = mkdtempSync(join(tmpdir(), "carehub-validate-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; lines: ValidateLine[] } {
  const child = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
  if (child.stderr) throw new Error(child.stderr);
  return {
    status: child.status,
    lines: child.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ValidateLine),
  };
}

describe("validate-main.ts (spawned)", () => {
  it("exits 1 on the shared OIOXML examples because of the two known-bad files, naming their errors", () => {
    const { status, lines } = run([OIOXML_DIR]);
    expect(status).toBe(1);
    expect(lines).toHaveLength(allOioxml.length);
    const failed = lines.filter((l) => !l.ok);
    expect(failed.map((l) => l.file.split("/").pop()).sort()).toEqual([...KNOWN_BAD].sort());
    for (const line of failed) {
      expect(line.errors.map((e) => e.code).join(",")).toMatch(/CAREHUB_ERR_OIOXML_GLN_(FORMAT|CHECK_DIGIT)/);
      expect(line.format).toBe("oioxml");
    }
  });

  it("exits 0 on the valid ones, with kind, format, message id and parties on each line", () => {
    const { status, lines } = run(validOioxml);
    expect(status).toBe(0);
    for (const line of lines) {
      expect(line).toMatchObject({ ok: true, format: "oioxml", errors: [] });
      expect(line.kind).toBeTruthy();
      expect(line.messageId).toBeTruthy();
      expect(line.sender?.gln ?? line.sender?.vans).toBeTruthy(); // a VANS receipt is signed with a VANS id
      expect(line.receivers.length).toBeGreaterThan(0);
      expect(Object.keys(line).sort()).toEqual([
        "errors",
        "file",
        "format",
        "kind",
        "messageId",
        "ok",
        "receivers",
        "sender",
      ]);
    }
  });

  it("exits 0 on the shared FHIR examples (all valid), one line per file", () => {
    const fhirDirs = readdirSync(FHIR_DIR).map((d) => join(FHIR_DIR, d));
    const { status, lines } = run(fhirDirs);
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(status).toBe(0);
    expect(lines.length).toBeGreaterThan(20);
    expect(new Set(lines.map((l) => l.format))).toEqual(new Set(["fhir+json"]));
  });

  it("never prints a patient identifier", () => {
    const { lines } = run([OIOXML_DIR]);
    const printed = JSON.stringify(lines);
    const cprs = allOioxml.flatMap((file) =>
      [...readFileSync(file, "latin1").matchAll(/<CivilRegistrationNumber>(\d+)</g)].map((m) => m[1] ?? ""),
    );
    expect(cprs.length).toBeGreaterThan(3);
    for (const cpr of cprs) expect(printed).not.toContain(cpr);
  });
});

describe("runValidateCommand", () => {
  it("reports a missing file as an invalid line, not a crash", async () => {
    const out: string[] = [];
    const code = await runValidateCommand([join(scratch, "missing.xml"), validOioxml[0] ?? ""], {
      stdout: (l) => out.push(l),
    });
    expect(code).toBe(1);
    const [missing, present] = out.map((l) => JSON.parse(l) as ValidateLine);
    expect(missing).toMatchObject({ ok: false, kind: null, errors: [{ code: FORMAT_ERROR_CODES.FILE_UNREADABLE }] });
    expect(present?.ok).toBe(true);
  });

  it("reports an unknown format and an empty file per line", async () => {
    writeFileSync(join(scratch, "note.txt"), "hello");
    writeFileSync(join(scratch, "empty.xml"), "");
    const { lines, ok } = await validateFiles([join(scratch, "note.txt"), join(scratch, "empty.xml")]);
    expect(ok).toBe(false);
    expect(lines.map((l) => l.errors[0]?.code)).toEqual([FORMAT_ERROR_CODES.UNKNOWN, FORMAT_ERROR_CODES.EMPTY]);
  });

  it("prints usage and exits 2 without files", async () => {
    const out: string[] = [];
    expect(await runValidateCommand([], { stdout: (l) => out.push(l) })).toBe(2);
    expect(out[0]).toMatch(/usage/);
  });
});
