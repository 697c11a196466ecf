import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

/** The README's example is the file the test run runs, byte for byte: a newcomer copies a test that passes. */
it("the README's example test is examples/first-test.test.ts as it is", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/first-test.test.ts", import.meta.url), "utf8");
  const block = /<!-- example: examples\/first-test\.test\.ts -->\n```ts\n([\s\S]*?)```\n/.exec(readme)?.[1];
  expect(block).toBe(example);
});
