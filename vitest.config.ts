import { defineConfig } from "vitest/config";

/**
 * Suites that load the machine on purpose and so run alone, after the others (scripts/run-tests.ts):
 * beside them, the time-bound end-to-end suites were starved of CPU on a 2-core CI machine.
 */
// The packaging suite compiles the SDK's declarations (both cores for about two minutes).
export const SOLO_SUITES = [
  "test/kill-restart.e2e.test.ts",
  "test/process-per-service.e2e.test.ts",
  "test/packaging.e2e.test.ts",
  // Three nats-servers, a hub and steady traffic while nodes are killed: about 90 s alone.
  "test/nats-cluster-failover.e2e.test.ts",
  // A Redis primary, a replica and three sentinels with timed failovers: once in eight runs beside a loaded
  // machine intake missed its 30 s recovery deadline, so it runs alone (about 45 s).
  "test/redis-sentinel-failover.e2e.test.ts",
  // Kills a cluster node and restarts it on the same port: beside other suites taking free ports, that port can be
  // taken in between and the node never comes back (seen once in CI).
  "packages/testkit/src/nats-cluster.int.test.ts",
  // Kills a Redis primary, restarts it on the same port and waits for Sentinel to take it back as a replica: once
  // in a clean-clone run beside the shared phase it was not a replica within 30 s, so it runs alone too.
  "packages/testkit/src/redis-sentinel.int.test.ts",
  // Kills a Redis primary and restarts it on the same port (an old primary back as an empty primary), like the above.
  "services/hub/src/redis-sentinel-connection.int.test.ts",
];

// One run over the whole repository: unit tests (x.test.ts) and integration tests
// (x.int.test.ts, against the real NATS and Redis) beside the code, end-to-end suites in test/.
export default defineConfig({
  test: {
    include: ["{schemas,packages,services,test,scripts}/**/*.test.ts"],
    // Browser suites run on their own (`pnpm test:browser`, vitest.browser.config.ts).
    exclude: ["**/node_modules/**", "**/*.chaos.test.ts", "**/*.browser.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // NATS and Redis for the run: NATS_URL / REDIS_URL when set, else private servers on free ports.
    globalSetup: ["packages/testkit/src/vitest-global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
