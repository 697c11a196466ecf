import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ParseResult, Party } from "@carehub/schemas";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { parseMessage } from "./parse-message.ts";
import { summariseCorpus } from "./validate-summary.ts";

/** One line of `carehub validate` output (printed as JSON). Never carries a patient identifier. */
export interface ValidateLine {
  file: string;
  ok: boolean;
  kind: string | null;
  format: string | null;
  messageId: string | null;
  sender: Party | null;
  receivers: Party[];
  errors: Array<{ code: string; path: string; message: string }>;
}

function lineFor(file: string, result: ParseResult): ValidateLine {
  if (result.ok) {
    const { message } = result;
    return {
      file,
      ok: true,
      kind: message.kind,
      format: message.format,
      messageId: message.messageId,
      sender: message.sender,
      receivers: message.receivers,
      errors: [],
    };
  }
  const { partial } = result;
  return {
    file,
    ok: false,
    kind: partial.kind ?? null,
    format: partial.format ?? null,
    messageId: partial.messageId ?? null,
    sender: partial.sender ?? null,
    receivers: partial.receivers ?? [],
    errors: result.issues.map(({ code, path, message }) => ({ code, path, message })),
  };
}

function unreadable(file: string, reason: string): ValidateLine {
  return {
    file,
    ok: false,
    kind: null,
    format: null,
    messageId: null,
    sender: null,
    receivers: [],
    errors: [{ code: FORMAT_ERROR_CODES.FILE_UNREADABLE, path: "", message: `cannot read the file (${reason})` }],
  };
}

/** A directory stands for the regular files directly inside it, in name order. */
async function expand(path: string): Promise<string[]> {
  try {
    if (!(await stat(path)).isDirectory()) return [path];
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(path, entry.name))
      .sort();
  } catch {
    return [path]; // reported when it is read
  }
}

/** Reads and validates each file (a directory: each file in it). One line per file; ok is false if any fails. */
export async function validateFiles(paths: string[]): Promise<{ lines: ValidateLine[]; ok: boolean }> {
  const lines: ValidateLine[] = [];
  for (const path of paths) {
    for (const file of await expand(path)) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "read error";
        lines.push(unreadable(file, code));
        continue;
      }
      lines.push(lineFor(file, parseMessage(bytes)));
    }
  }
  return { lines, ok: lines.length > 0 && lines.every((line) => line.ok) };
}

export const VALIDATE_USAGE =
  "usage: carehub validate <file or directory>...\n       carehub validate --summary <directory>   (counts per verdict and kind; mismatches against <directory>/manifest.json)";

/**
 * `carehub validate <files…>`: one JSON line per file on stdout; exit code 1 when any file is invalid or
 * unreadable, 2 when no file was named, else 0. `carehub validate --summary <dir>`: one JSON summary of the whole
 * directory tree (validate-summary.ts); exit code 1 when a file differs from the directory's manifest.
 */
export async function runValidateCommand(argv: string[], io: { stdout: (line: string) => void }): Promise<number> {
  const paths = argv.filter((arg) => arg !== "--" && arg !== "--summary");
  if (argv.includes("--summary") && paths.length === 1 && paths[0] !== undefined) {
    const summary = await summariseCorpus(paths[0]);
    io.stdout(JSON.stringify(summary, null, 2));
    return summary.mismatches.length === 0 ? 0 : 1;
  }
  if (paths.length === 0 || paths.includes("--help") || paths.includes("-h")) {
    io.stdout(VALIDATE_USAGE);
    return paths.length === 0 ? 2 : 0;
  }
  const { lines, ok } = await validateFiles(paths);
  for (const line of lines) io.stdout(JSON.stringify(line));
  return ok ? 0 : 1;
}
