// pnpm check: fails on any path outside the repository in code, tests, benches and scripts, so a clone in
// any folder, on a machine with nothing beside it, runs as it does here. It flags
//   - absolute paths into places a checkout never owns (the team folder, /home/…, /tmp/…, …); system binaries such as
//     /usr/sbin/nats-server are fine, and temporary files go through os.tmpdir();
//   - the home directory ($HOME, process.env.HOME, homedir(), ~/);
//   - relative paths ("../…") that climb out of the repository from the file that spells them.
// A line that must keep such a path says why, with `repo-paths: allow <reason>` in a comment.
// Run: node scripts/check-repo-paths.ts [root]
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface PathViolation {
  file: string;
  line: number;
  rule: "absolute-path" | "home-directory" | "climbs-out";
  text: string;
}

const ALLOW_MARKER = "repo-paths: allow";
/** Folders never scanned: dependencies, generated or local state, and the fixtures' own data files. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".data", ".turbo", ".tools", "dist", "coverage"]);
const SKIPPED_PATHS = new Set(["test/fixtures/medcom"]);
/** This check and its test spell the paths they look for. */
const SELF = new Set(["scripts/check-repo-paths.ts", "scripts/check-repo-paths.test.ts"]);
const SCANNED_EXTENSIONS = /\.(?:[cm]?[tj]s|sh|ya?ml|conf)$/;
/** Also read: every package.json (its scripts), and extension-less executables: scripts/test, scripts/demo, .ci/run. */
const SCRIPT_DIRS = new Set(["scripts", ".ci"]);

/** Absolute paths under folders a checkout never owns; not preceded by a host, scheme or path character. */
const OUTSIDE_ABSOLUTE =
  /(?<![\w.:/@~$-])\/(?:work|home|root|Users|mnt|media|srv|opt|tmp|var|shared|data)(?=[/"'`\s]|$)/;
/** System paths every Linux machine has, named by the testkit's Docker probe. */
const SYSTEM_PATHS = ["/var/run/docker.sock"];
const HOME_DIRECTORY = /\$\{?HOME\b|process\.env\.HOME\b|\bhomedir\(|(?<![\w.])~\//;
/** A path that starts with ../ (or ./../): in quotes, or a word of a command line (package.json scripts, shell). */
const RELATIVE_LITERAL = /(?:^|[\s"'`=(])(?:\.\/)?((?:\.\.\/)+[^\s"'`)]*)/g;

/** Every violation in one file's text; `file` is relative to `root`. */
export function scanText(root: string, file: string, text: string): PathViolation[] {
  const violations: PathViolation[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (line.includes(ALLOW_MARKER)) continue;
    const found = (rule: PathViolation["rule"]): void => {
      violations.push({ file, line: index + 1, rule, text: line.trim() });
    };
    const withoutSystemPaths = SYSTEM_PATHS.reduce((rest, path) => rest.replaceAll(path, ""), line);
    if (OUTSIDE_ABSOLUTE.test(withoutSystemPaths)) found("absolute-path");
    else if (HOME_DIRECTORY.test(line)) found("home-directory");
    else if (climbsOut(root, file, line)) found("climbs-out");
  }
  return violations;
}

function climbsOut(root: string, file: string, line: string): boolean {
  const base = dirname(resolve(root, file));
  for (const match of line.matchAll(RELATIVE_LITERAL)) {
    const target = relative(resolve(root), resolve(base, match[1] ?? ""));
    if (target === ".." || target.startsWith(`..${sep}`)) return true;
  }
  return false;
}

/** The files the check reads, relative to `root`. */
export function scannedFiles(root: string, dir = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !SKIPPED_PATHS.has(path)) files.push(...scannedFiles(root, path));
    } else if (
      SCANNED_EXTENSIONS.test(entry.name) ||
      entry.name === "package.json" ||
      (SCRIPT_DIRS.has(dir) && !entry.name.includes("."))
    ) {
      if (entry.name !== "pnpm-lock.yaml" && !SELF.has(path)) files.push(path);
    }
  }
  return files;
}

export function checkRepoPaths(root: string): PathViolation[] {
  return scannedFiles(root).flatMap((file) => scanText(root, file, readFileSync(join(root, file), "utf8")));
}

if (import.meta.main) {
  const root = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
  const violations = checkRepoPaths(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}: ${v.text}`);
  if (violations.length > 0) {
    console.error(
      `\n${violations.length} path(s) outside the repository. Load fixtures through medcomExamplesDir() ` +
        `(@carehub/testkit/medcom-fixtures), servers through the testkit, temporary files under os.tmpdir(); ` +
        `a line that must keep such a path says why with "${ALLOW_MARKER} <reason>".`,
    );
    process.exit(1);
  }
  console.log("repo paths: nothing outside the repository");
}
