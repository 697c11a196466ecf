import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { FHIR_ISSUE_CODES, type FhirIssueCode } from "@carehub/medcom-fhir";
import { z } from "zod";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { parseMessage } from "./parse-message.ts";

const NOT_A_BUNDLE =
  (Object.keys(FHIR_ISSUE_CODES) as FhirIssueCode[]).find((code) => code.endsWith("_NOT_BUNDLE")) ?? "";

/** What the summary needs of one file's verdict (validate-files.ts prints the full line). */
interface Verdict {
  file: string;
  ok: boolean;
  kind: string | null;
  format: string | null;
  errors: Array<{ code: string }>;
}

async function verdictOf(file: string): Promise<Verdict> {
  const result = parseMessage(await readFile(file));
  if (result.ok) return { file, ok: true, kind: result.message.kind, format: result.message.format, errors: [] };
  const { kind, format } = result.partial;
  return { file, ok: false, kind: kind ?? null, format: format ?? null, errors: result.issues };
}

/**
 * What a conformance corpus says each file should do: `valid`, `invalid` with the code it must be refused with,
 * or `not-a-message` (documentation, terminology, transport envelopes carehub does not accept on its own).
 */
export const CorpusExpectation = z.discriminatedUnion("verdict", [
  z.object({ verdict: z.literal("valid"), kind: z.string(), source: z.string() }),
  z.object({ verdict: z.literal("invalid"), code: z.string().startsWith("CAREHUB_ERR_"), source: z.string() }),
  z.object({ verdict: z.literal("not-a-message"), source: z.string() }),
]);
export type CorpusExpectation = z.infer<typeof CorpusExpectation>;

/** `manifest.json` at the corpus root: expectations keyed by the file's path relative to the root. */
export const CorpusManifest = z.object({ files: z.record(z.string(), CorpusExpectation) });
export type CorpusManifest = z.infer<typeof CorpusManifest>;

export const MANIFEST_NAME = "manifest.json";

export interface CorpusSummary {
  files: number;
  byVerdict: Record<string, number>;
  byKind: Record<string, number>;
  byFormat: Record<string, number>;
  /** Files whose verdict, kind or refusal code differs from the manifest; files it does not list; listed files missing. */
  mismatches: Array<{ file: string; expected: string; actual: string }>;
}

/** Every regular file under `dir`, recursively, in name order, the manifest itself left out. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !(e.parentPath === dir && e.name === MANIFEST_NAME))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function actualVerdict(line: Verdict): string {
  if (line.ok) return "valid";
  const codes = line.errors.map((e) => e.code);
  // Neither a message format carehub reads, nor a FHIR resource that is a Bundle.
  const notMessage: string[] = [FORMAT_ERROR_CODES.UNKNOWN, NOT_A_BUNDLE];
  return codes.length > 0 && codes.every((c) => notMessage.includes(c)) ? "not-a-message" : "invalid";
}

function describeExpected(e: CorpusExpectation): string {
  if (e.verdict === "valid") return `valid ${e.kind}`;
  if (e.verdict === "invalid") return `invalid ${e.code}`;
  return "not-a-message";
}

function matches(expected: CorpusExpectation, line: Verdict): boolean {
  const verdict = actualVerdict(line);
  if (verdict !== expected.verdict) return false;
  if (expected.verdict === "valid") return line.kind === expected.kind;
  if (expected.verdict === "invalid") return line.errors.some((e) => e.code === expected.code);
  return true;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/** Validates every file under `dir` and compares each with `dir/manifest.json` when there is one. */
export async function summariseCorpus(dir: string): Promise<CorpusSummary> {
  const files = await walk(dir);
  let manifest: CorpusManifest | undefined;
  try {
    manifest = CorpusManifest.parse(JSON.parse(await readFile(join(dir, MANIFEST_NAME), "utf8")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const lines: Verdict[] = [];
  for (const file of files) lines.push(await verdictOf(file));
  const summary: CorpusSummary = { files: lines.length, byVerdict: {}, byKind: {}, byFormat: {}, mismatches: [] };
  const seen = new Set<string>();
  for (const line of lines) {
    const name = relative(dir, line.file);
    seen.add(name);
    const verdict = actualVerdict(line);
    count(summary.byVerdict, verdict);
    if (line.kind !== null) count(summary.byKind, line.kind);
    if (line.format !== null) count(summary.byFormat, line.format);
    if (manifest === undefined) continue;
    const expected = manifest.files[name];
    const actual = line.ok ? `valid ${line.kind}` : `${verdict} ${line.errors.map((e) => e.code).join(",")}`;
    if (expected === undefined) summary.mismatches.push({ file: name, expected: "(not in the manifest)", actual });
    else if (!matches(expected, line))
      summary.mismatches.push({ file: name, expected: describeExpected(expected), actual });
  }
  for (const name of Object.keys(manifest?.files ?? {}))
    if (!seen.has(name)) summary.mismatches.push({ file: name, expected: "(listed)", actual: "(missing)" });
  return summary;
}
