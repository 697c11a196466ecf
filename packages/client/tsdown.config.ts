import { defineConfig } from "tsdown";

// The published build (docs/decisions/0018-package-build.md): one ESM file plus declarations, carehub's own
// workspace packages bundled in (they are not published), public npm packages left as declared dependencies.
// `onlyImport` fails the build when the output would import anything else, so a new internal import cannot
// slip into the tarball as an uninstallable dependency.
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
    onlyImport: ["@nats-io/jetstream", "@nats-io/transport-node", "fast-xml-parser", "zod"],
  },
  // fhir-model.ts loads its generated element table with createRequire next to itself; in the bundle
  // "itself" is dist/index.mjs, so the table ships beside it.
  copy: [{ from: "../medcom-fhir/src/xml/fhir-r4-model.generated.json", to: "dist" }],
});
