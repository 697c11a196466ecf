import { defineConfig } from "tsdown";

// The published build (docs/decisions/0018-package-build.md): see packages/client/tsdown.config.ts. The testkit
// bundles only @carehub/schemas (its error base class); no hub service comes along.
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "node",
  target: "node24",
  outDir: "dist",
  dts: { tsc: { eager: true } },
  clean: true,
  deps: {
    alwaysBundle: [/^@carehub\//],
    onlyImport: ["@nats-io/jetstream", "@nats-io/transport-node", "ioredis", "testcontainers", "zod"],
  },
});
