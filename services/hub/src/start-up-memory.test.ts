import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HUB_NODE_FLAGS } from "./node-flags.ts";

const MODULE = fileURLToPath(new URL("./start-up-memory.ts", import.meta.url));

interface Outcome {
  newSpaceBefore: number;
  newSpaceAfter: number;
  gcInThisContext: string;
  gcInANewContext: string;
}

/**
 * In a node of its own, started as `carehub start` starts (the young-generation cap of node-flags.ts): fill the
 * young generation as starting does, then call releaseStartUpMemory.
 */
function runInFreshNode(extraFlags: string[]): Outcome {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    import { runInNewContext } from "node:vm";
    import { releaseStartUpMemory } from ${JSON.stringify(MODULE)};
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").physical_space_size;
    const kept = [];
    for (let i = 0; i < 400_000; i++) { kept.push({ i, s: "x" + i }); if (kept.length > 50_000) kept.length = 0; }
    const newSpaceBefore = newSpace();
    releaseStartUpMemory();
    console.log(JSON.stringify({
      newSpaceBefore, newSpaceAfter: newSpace(),
      gcInThisContext: typeof globalThis.gc, gcInANewContext: runInNewContext("typeof gc"),
    }));`;
  const out = execFileSync(process.execPath, [...HUB_NODE_FLAGS, ...extraFlags, "--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" },
  });
  return JSON.parse(out) as Outcome;
}

describe("releaseStartUpMemory", () => {
  it("shrinks a young generation that starting filled, without leaving `gc` to anyone", () => {
    const outcome = runInFreshNode([]);
    // Starting grows the young generation to (near) its cap, all of it resident; afterwards it is at its minimum.
    expect(outcome.newSpaceBefore).toBeGreaterThanOrEqual(8 * 1_048_576);
    expect(outcome.newSpaceAfter).toBeLessThanOrEqual(2 * 1_048_576);
    // --expose-gc was set only to take the collector: neither this context nor a later one sees a `gc`.
    expect(outcome.gcInThisContext).toBe("undefined");
    expect(outcome.gcInANewContext).toBe("undefined");
  });

  it("leaves an operator's --expose-gc as it was", () => {
    const outcome = runInFreshNode(["--expose-gc"]);
    expect(outcome.newSpaceAfter).toBeLessThanOrEqual(2 * 1_048_576);
    expect(outcome.gcInThisContext).toBe("function");
    expect(outcome.gcInANewContext).toBe("function");
  });
});
