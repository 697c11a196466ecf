// `pnpm check` step: fails when a message-ledger Redis key or a hub-id derivation is spelled outside
// packages/ledger, the one owner of message identity and repeat handling (docs/decisions/0014-message-ledger.md).
// Tests may spell the contract's keys to pin them; shipped code asks the ledger.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export interface Violation {
  path: string;
  line: number;
  rule: string;
  text: string;
}

const LEDGER_KEYS = "msgid|rcvd|routed|delivered|mk|dead|attempts|ackmsg|ack";

const RULES: ReadonlyArray<{ rule: string; pattern: RegExp }> = [
  {
    // `${ns}:msgid:…`, `${namespace}:delivered:…` — a key under the namespace (event ids start with a hub id).
    rule: "ledger Redis key spelled outside packages/ledger",
    pattern: new RegExp(`\\$\\{\\s*[\\w.#]*(?:ns|namespace|prefix)\\s*\\}:(?:${LEDGER_KEYS}):`, "i"),
  },
  {
    rule: "ledger Redis key spelled outside packages/ledger",
    pattern: new RegExp(`["'\`]:(?:${LEDGER_KEYS}):`),
  },
  {
    // The ledger's derivations are the only callers of the name-based UUID primitives.
    rule: "hub-id derivation outside packages/ledger",
    pattern: /\b(?:derivedUuid|derivedDigits)\s*\(/,
  },
  {
    // A hand-rolled name-based UUID (version bits 0x50) or one of the former per-service derivations.
    rule: "hub-id derivation outside packages/ledger",
    pattern:
      /\|\s*0x50\b|\b(?:nameBasedUuid|hubIdFromStreamPosition|randomHubId|messageHubId)\s*(?:=|\()|["']ack-resend["']|-ack`/,
  },
];

/** Violations in one file's text (pure, for the test). */
export function findViolations(path: string, text: string): Violation[] {
  const found: Violation[] = [];
  text.split("\n").forEach((line, index) => {
    const code = line.trimStart();
    if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*")) return;
    for (const { rule, pattern } of RULES) {
      if (pattern.test(line)) found.push({ path, line: index + 1, rule, text: code.slice(0, 160) });
    }
  });
  return found;
}

const SKIPPED_DIRECTORIES = new Set(["node_modules", "dist", "coverage", ".turbo", "fixtures"]);

function isShippedSource(path: string): boolean {
  return path.endsWith(".ts") && !/\.(test|test-support|bench)\.ts$/.test(path) && !path.endsWith(".d.ts");
}

function* sourceFiles(root: string, directory: string): Generator<string> {
  for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && path !== join("packages", "ledger")) yield* sourceFiles(root, path);
    } else if (isShippedSource(path)) yield path;
  }
}

/** Every violation in the shipped TypeScript of packages/, services/ and schemas/ (packages/ledger excepted). */
export function scanRepository(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const top of ["packages", "services", "schemas"]) {
    for (const path of sourceFiles(root, top))
      violations.push(...findViolations(path, readFileSync(join(root, path), "utf8")));
  }
  return violations;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const violations = scanRepository(root);
  for (const v of violations) console.error(`${relative(root, join(root, v.path))}:${v.line}: ${v.rule}: ${v.text}`);
  if (violations.length > 0) {
    console.error(`check-ledger-ownership: ${violations.length} violation(s); ask @carehub/ledger instead`);
    process.exit(1);
  }
  console.log("check-ledger-ownership: message identity and ledger keys are spelled only in packages/ledger");
}
