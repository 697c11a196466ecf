// Runs the whole test suite once and closes with a plain "N passed, N failed" line,
// which CI reads to tell a run that tested something from one that tested nothing.
//
// Two phases: first every suite but the solo ones, two at a time; then the solo suites alone. A solo suite
// (SOLO_SUITES in vitest.config.ts) loads the machine on purpose — the kill-restart e2e drives 6,000 messages
// through processes it SIGKILLs — and running it beside the time-bound e2e suites starved them on 2 cores.
// With arguments (a file filter, -t …) it is one plain vitest run over what they select.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOLO_SUITES } from "../vitest.config.ts";

interface Tally {
  passed: number;
  failed: number;
  ok: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "carehub-tests-"));

function vitest(name: string, args: string[]): Tally {
  const report = join(dir, `${name}.json`);
  const result = spawnSync(
    "pnpm",
    ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
    { stdio: "inherit" },
  );
  try {
    const summary = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
    return { passed: summary.numPassedTests, failed: summary.numFailedTests, ok: result.status === 0 };
  } catch {
    // No report: vitest itself failed (a config or import error); count that as a failure, never as a pass.
    return { passed: 0, failed: 1, ok: false };
  }
}

const userArgs = process.argv.slice(2);
const phases: Array<{ name: string; title: string; args: string[] }> =
  userArgs.length > 0
    ? [{ name: "selected", title: "", args: userArgs }]
    : [
        {
          name: "shared",
          title: "every suite but the solo ones",
          args: SOLO_SUITES.flatMap((suite) => ["--exclude", suite]),
        },
        { name: "solo", title: `alone: ${SOLO_SUITES.join(", ")}`, args: ["--maxWorkers=1", ...SOLO_SUITES] },
      ];
const tallies = phases.map(({ name, title, args }) => {
  if (title !== "") console.log(`\n── tests, phase ${name}: ${title}\n`);
  return vitest(name, args);
});
rmSync(dir, { recursive: true, force: true });
const passed = tallies.reduce((sum, t) => sum + t.passed, 0);
const failed = tallies.reduce((sum, t) => sum + t.failed, 0);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(tallies.every((t) => t.ok) && failed === 0 && passed > 0 ? 0 : 1);
