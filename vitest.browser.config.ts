import { defineConfig } from "vitest/config";

/**
 * `pnpm test:browser` (scripts/test-browser.ts): the console driven in Debian's Chromium through playwright-core,
 * against a whole hub with traffic. Not part of `pnpm test` (it needs Chromium and takes a minute).
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.browser.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ["packages/testkit/src/vitest-global-setup.ts"],
    pool: "forks",
    maxWorkers: 1,
    reporters: ["default"],
  },
});
