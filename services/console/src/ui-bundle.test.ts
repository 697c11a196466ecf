import { childProcesses } from "@carehub/testkit";
import { describe, expect, it } from "vitest";
import { buildUiBundle } from "./ui-bundle.ts";

/** The pids of this process's children that run esbuild (its build service). */
function esbuildChildren(): number[] {
  return childProcesses(process.pid)
    .filter((child) => child.comm === "esbuild")
    .map((child) => child.pid);
}

/** esbuild's stop() signals its process and returns: wait (with a deadline) until the children are `expected`. */
async function childrenBecome(expected: number[]): Promise<number[]> {
  const deadline = Date.now() + 5_000;
  let children = esbuildChildren();
  while (children.join() !== expected.join() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    children = esbuildChildren();
  }
  return children;
}

describe("the console's web bundle", () => {
  it("is built, side by side too, and leaves no esbuild process behind", async () => {
    const before = esbuildChildren();
    // Two at once (two consoles in one process): stopping esbuild after the first must not fail the second.
    const [first, second] = await Promise.all([buildUiBundle(), buildUiBundle()]);
    expect(first.script.length).toBeGreaterThan(1_000);
    expect(second.script).toBe(first.script);
    expect(first.html).toContain("<");
    // esbuild keeps its service process for later builds (~21 MB RSS) unless it is stopped.
    expect(await childrenBecome(before)).toEqual(before);
    // A later build starts it again, and stops it again.
    expect((await buildUiBundle()).script).toBe(first.script);
    expect(await childrenBecome(before)).toEqual(before);
  });
});
