import { defineConfig } from "vitest/config";

// One run over the whole repository: unit tests (x.test.ts) and integration tests
// (x.int.test.ts, against the real NATS and Redis) beside the code, end-to-end suites in test/.
export default defineConfig({
  test: {
    include: ["{schemas,packages,services,test}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.chaos.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
