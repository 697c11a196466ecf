import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BEGIN, END, renderTable, rowPassed, type ScenarioRow, writeReliabilityDoc } from "./report.ts";
import { SCENARIOS } from "./scenarios.ts";

const clean: ScenarioRow = {
  name: "worker-kills",
  what: "kills",
  load: { accepted: 10, refused: 2, refusedWithoutRetryAfter: 0, failedAttempts: 0, requestTimeouts: 0 },
  verdict: {
    lost: 0,
    unexpected: 0,
    correctionsFirst: 0,
    appliedTwice: 0,
    notTerminal: 0,
    statuses: { delivered: 10 },
    rebuildDiffs: 0,
    readModelKeys: 30,
    settledMs: 5,
  },
  notes: ["killed (unacked held): router(3)"],
  checks: [{ name: "a backlog built up", ok: true, figure: "3" }],
  wireRepeats: 1,
  possibleDuplicates: 1,
  seconds: 12,
};

describe("the chaos table", () => {
  it("fails a scenario for any lost, reordered, doubled or unfinished message, a rebuild that differs, or a failed check", () => {
    expect(rowPassed(clean)).toBe(true);
    const verdict = clean.verdict as NonNullable<ScenarioRow["verdict"]>;
    for (const broken of [
      { lost: 1 },
      { unexpected: 1 },
      { correctionsFirst: 1 },
      { appliedTwice: 1 },
      { notTerminal: 1 },
      { rebuildDiffs: 1 },
    ]) {
      expect(rowPassed({ ...clean, verdict: { ...verdict, ...broken } }), JSON.stringify(broken)).toBe(false);
    }
    expect(rowPassed({ ...clean, checks: [{ name: "x", ok: false, figure: "0" }] })).toBe(false);
    expect(rowPassed({ ...clean, error: "the gateway refused message 1: HTTP 400" })).toBe(false);
    const { verdict: _, ...unverified } = clean;
    expect(rowPassed(unverified)).toBe(false);
    // A scenario that could not run is listed, not failed.
    expect(rowPassed({ name: "redis-failover", what: "", notes: [], checks: [], notRun: "not yet" })).toBe(true);
  });

  it("renders one row per scenario with its figures and result", () => {
    const table = renderTable([
      clean,
      { ...clean, name: "broken", checks: [{ name: "fast", ok: false, figure: "350 ms" }] },
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      /^\| worker-kills \| 10 \| 2 \| 0 \| 0 \| 0 \| 0 \| yes \(30 keys\) \| 1 \| 1 \| 12 \| 0\.0 \| .* \| pass \|$/,
    );
    expect(lines[3]).toContain("FAIL (fast: 350 ms)");
  });

  it("replaces only the generated section of the document", async () => {
    const dir = await mkdtemp(join(tmpdir(), "carehub-chaos-doc-"));
    try {
      const path = join(dir, "reliability.md");
      await writeFile(path, `# prose before\n\n${BEGIN}\nold table\n${END}\n\nprose after\n`);
      writeReliabilityDoc(path, "Run today", [clean]);
      const text = await readFile(path, "utf8");
      expect(text.startsWith("# prose before\n\n")).toBe(true);
      expect(text.endsWith(`${END}\n\nprose after\n`)).toBe(true);
      expect(text).not.toContain("old table");
      expect(text).toContain("| worker-kills |");
      await writeFile(path, "no markers");
      expect(() => writeReliabilityDoc(path, "Run today", [clean])).toThrow(/markers/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("docs/reliability.md describes every scenario of the table, and no other", async () => {
    const doc = await readFile(new URL("../../docs/reliability.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Scenarios"), doc.indexOf("## Running it"));
    const described = [...section.matchAll(/^\| ([a-z0-9, -]+?) \|/gm)]
      .flatMap((m) => (m[1] ?? "").split(",").map((name) => name.trim()))
      .filter((name) => name !== "scenario" && name !== "---");
    expect(described.sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });
});
