// How the CLI's commands print: `--json` gives one JSON value per line on stdout, else a human line or table.
// Logs never come here (they go to stderr), so stdout can be piped into jq.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ValidateLine } from "@carehub/formats";
import type { AuditRecord } from "@carehub/schemas";

/**
 * A hub stream message's JSON body for a command that follows the stream (messages tail, audit): undefined when it
 * is not JSON, so the command's schema check reports it as unreadable and goes on instead of stopping.
 */
export function parseStreamJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

export interface Printer {
  /** One result: JSON with --json, else the human text given. */
  result(value: unknown, human: string): void;
}

export function printerFor(stdout: NodeJS.WritableStream, json: boolean): Printer {
  return {
    result: (value, human) => stdout.write(`${json ? JSON.stringify(value) : human}\n`),
  };
}

/** Columns padded to their widest cell: the human form of a list. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function auditLine(record: AuditRecord): string {
  const actor = record.actor.type === "anonymous" ? `anonymous(${record.actor.credential})` : record.actor.id;
  const resources = record.resources.map((r) => `${r.type}:${r.id}`).join(",") || "-";
  return [record.at, actor, record.action, `${record.outcome.status} ${record.outcome.result}`, resources].join("  ");
}

/** Every file under the paths given, directories walked recursively, in a stable (sorted) order. */
export async function walkFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      // A path that cannot be read is validated as is, and reported unreadable.
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { withFileTypes: true });
    const names = entries.sort((a, b) => a.name.localeCompare(b.name));
    const inside = names.filter((e) => e.isDirectory() || e.isFile()).map((e) => join(path, e.name));
    files.push(...(await walkFiles(inside)));
  }
  return files;
}

function validateHumanLine(line: ValidateLine): string {
  if (line.ok) return `ok       ${line.file}  ${line.kind ?? "-"} (${line.format ?? "-"})`;
  const first = line.errors[0];
  const more = line.errors.length > 1 ? ` (+${line.errors.length - 1} more)` : "";
  return `INVALID  ${line.file}  ${first === undefined ? "" : `${first.code}${first.path === "" ? "" : ` at ${first.path}`}: ${first.message}`}${more}`;
}

/**
 * `carehub validate <file or dir>...`: a line per file (directories walked recursively); exit 1 when any file is
 * invalid or unreadable or no file was found, 2 when no path was named.
 */
export async function runValidate(
  paths: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; json: boolean },
): Promise<number> {
  if (paths.length === 0) {
    io.stderr.write("carehub validate: name a file or directory; see carehub validate --help\n");
    return 2;
  }
  const files = await walkFiles(paths);
  if (files.length === 0) {
    io.stderr.write(`carehub validate: no files in ${paths.join(", ")}\n`);
    return 1;
  }
  // Loaded here, not at the top: every command prints through this module, and only `validate` needs the formats.
  const { validateFiles } = await import("@carehub/formats");
  const { lines, ok } = await validateFiles(files);
  const print = printerFor(io.stdout, io.json);
  for (const line of lines) print.result(line, validateHumanLine(line));
  if (!io.json) {
    const invalid = lines.filter((line) => !line.ok).length;
    io.stderr.write(`carehub validate: ${lines.length} file(s), ${invalid} invalid\n`);
  }
  return ok ? 0 : 1;
}

/**
 * `carehub validate --summary <dir>`: counts per verdict, kind and format over the directory tree, and every file
 * whose verdict differs from `<dir>/manifest.json`; exit 1 when any differs, 2 unless exactly one directory is named.
 */
export async function runValidateSummary(
  paths: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; json: boolean },
): Promise<number> {
  const [dir, ...more] = paths;
  if (dir === undefined || more.length > 0) {
    io.stderr.write("carehub validate --summary: name exactly one directory; see carehub validate --help\n");
    return 2;
  }
  const { summariseCorpus } = await import("@carehub/formats");
  const summary = await summariseCorpus(dir);
  if (io.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const counts = (record: Record<string, number>) =>
      Object.entries(record)
        .map(([name, n]) => `${name} ${n}`)
        .join(", ");
    io.stdout.write(`files      ${summary.files}\n`);
    io.stdout.write(`verdicts   ${counts(summary.byVerdict)}\n`);
    io.stdout.write(`kinds      ${counts(summary.byKind)}\n`);
    io.stdout.write(`formats    ${counts(summary.byFormat)}\n`);
    io.stdout.write(`mismatches ${summary.mismatches.length}\n`);
    for (const m of summary.mismatches) io.stdout.write(`  ${m.file}: expected ${m.expected}, got ${m.actual}\n`);
  }
  return summary.mismatches.length === 0 ? 0 : 1;
}
