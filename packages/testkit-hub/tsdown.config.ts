import { defineConfig } from "tsdown";

// The published build (docs/decisions/0071-testkit-hub-packed.md): the whole hub in one ESM file, carehub's own
// workspace packages bundled in, public npm packages left as declared dependencies (`onlyImport` fails the build
// when the output would import anything else). No declaration build over the hub: tsc over its whole graph runs
// out of memory (0070). The public surface is declared by hand in types/index.d.mts (checked against the source
// by types/declarations.check.ts); the plain-data types it shares with the source (types/public-types.mts, with
// the schema types they name) are the one declaration build, over that file alone (its own tsconfig, so tsc
// loads the schemas and zod, not the hub).
// testcontainers (the testkit's containers) and esbuild (the console's web bundle) are loaded only when asked
// for, so they are optional peer dependencies; startTestHub never starts the console.
export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: "esm",
    platform: "node",
    target: "node24",
    outDir: "dist",
    dts: false,
    clean: true,
    deps: {
      alwaysBundle: [/^@carehub\//],
      onlyImport: [
        /^@nats-io\//,
        /^@opentelemetry\//,
        "bcryptjs",
        "esbuild",
        "fast-xml-parser",
        "fastify",
        "ioredis",
        "pino",
        "prom-client",
        "testcontainers",
        "yaml",
        "zod",
      ],
    },
    // fhir-model.ts loads its generated element table with createRequire next to itself (as in the client's build),
    // and the hand-written declarations ship beside the bundle.
    copy: [
      { from: "../medcom-fhir/src/xml/fhir-r4-model.generated.json", to: "dist" },
      { from: "types/index.d.mts", to: "dist" },
    ],
  },
  {
    entry: ["types/public-types.mts"],
    format: "esm",
    platform: "node",
    target: "node24",
    outDir: "dist",
    tsconfig: "tsconfig.public-types.json",
    dts: { tsc: { eager: true }, emitDtsOnly: true },
    deps: { alwaysBundle: [/^@carehub\//], onlyImport: ["zod"] },
  },
]);
