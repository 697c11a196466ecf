/**
 * pnpm build:start — builds the hub's start bundle (docs/decisions/0105-start-bundle.md, src/start-bundle.ts):
 * `src/cli.ts` and everything it imports, bundled by esbuild into `services/hub/dist/start/` with one chunk per
 * lazily imported part, so each `carehub start` process still loads only the services it runs, and the ops
 * listener's worker file as JavaScript (`ops-listener.cjs`, docs/decisions/0121). Whitespace and syntax are
 * minified, names are not (stack traces keep the functions' names). Written into a temporary directory and moved
 * into place last, with the list of its sources and their hash (`sources.json`) that `carehub` checks before it runs
 * the bundle.
 */

import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BuildOptions, build, type Plugin } from "esbuild";
import {
  hashSources,
  REPOSITORY_ROOT,
  START_BUNDLE_DIR,
  START_BUNDLE_OPS_LISTENER,
  type StartBundleSources,
} from "../src/start-bundle.ts";

const ENTRY = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const OPS_LISTENER = fileURLToPath(new URL("../src/ops-listener.cts", import.meta.url));
const THIS_SCRIPT = fileURLToPath(import.meta.url);

/**
 * Every module keeps its own location: `import.meta.url` (and `dirname`, `filename`), and a CommonJS module's
 * `__dirname` and `__filename`, become the source file's, so what a module finds beside itself (the console's web
 * assets, the ops listener's worker file, the FHIR model's JSON, the release's and ioredis' package.json) is found
 * where it is in the checkout, not beside the bundle.
 */
const sourceLocations: Plugin = {
  name: "source-locations",
  setup(builder) {
    // A dependency imported only when needed (the OTLP exporter when spans are exported, esbuild) is loaded by node
    // from the checkout, as it is from the sources: bundled into a chunk of its own, a CommonJS package would offer
    // only a default export, and esbuild cannot be bundled at all.
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== "dynamic-import" || args.path.startsWith("@carehub/") || args.path.startsWith("node:")) {
        return undefined;
      }
      return { path: pathToFileURL(createRequire(args.importer).resolve(args.path)).href, external: true };
    });
    builder.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const meta = /\bimport\.meta\.(url|dirname|filename)\b/g;
      // A CommonJS module gets them as its wrapper's parameters: declared at its top, in the function esbuild
      // wraps it in, they mean the same.
      const common =
        /(?<![.\w$])__(?:dirname|filename)\b/.test(text) &&
        !/\b(?:const|let|var)\s+__(?:dirname|filename)\b/.test(text);
      if (!meta.test(text) && !common) return undefined;
      const located: Record<string, string> = {
        url: JSON.stringify(pathToFileURL(args.path).href),
        dirname: JSON.stringify(dirname(args.path)),
        filename: JSON.stringify(args.path),
      };
      const prologue = common ? `var __dirname = ${located.dirname}, __filename = ${located.filename};\n` : "";
      return {
        contents: prologue + text.replace(meta, (whole, key: string) => located[key] ?? whole),
        loader: /\.[cm]?ts$/.test(args.path) ? "ts" : "js",
      };
    });
  },
};

/** The root's and every workspace package's package.json and tsconfig files, repository-relative. */
function buildSettings(): string[] {
  const folders = [
    "",
    "schemas/",
    ...["packages", "services"].flatMap((group) =>
      readdirSync(join(REPOSITORY_ROOT, group), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${group}/${entry.name}/`),
    ),
  ];
  const names = ["package.json", "tsconfig.json", "tsconfig.base.json", "pnpm-workspace.yaml"];
  return folders
    .flatMap((folder) => names.map((name) => `${folder}${name}`))
    .filter((file) => existsSync(join(REPOSITORY_ROOT, file)));
}

const building = `${START_BUNDLE_DIR.replace(/\/$/, "")}.building-${process.pid}`;
rmSync(building, { recursive: true, force: true });
/** What both builds share: for node, whitespace and syntax minified, with the list of their inputs. */
const common = {
  absWorkingDir: REPOSITORY_ROOT,
  bundle: true,
  platform: "node",
  target: "node24",
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: "warning",
} as const satisfies BuildOptions;
const result = await build({
  ...common,
  entryPoints: [ENTRY],
  outdir: building,
  splitting: true,
  format: "esm",
  // CommonJS dependencies require node's modules; an ES module has no `require` of its own.
  banner: {
    js: 'import{createRequire as __carehubRequire}from"node:module";const require=__carehubRequire(import.meta.url);',
  },
  plugins: [sourceLocations],
});
// The ops listener, a worker thread's file: one CommonJS script with what it requires (start-up-memory.ts), node's
// modules left to node, as ops-server.ts starts it in a bundled process.
const listener = await build({
  ...common,
  entryPoints: [OPS_LISTENER],
  outfile: join(building, basename(START_BUNDLE_OPS_LISTENER)),
  format: "cjs",
});
const files = [
  ...new Set([
    ...Object.keys(result.metafile.inputs),
    ...Object.keys(listener.metafile.inputs),
    // A dependency changed by an install changes the lockfile, not the files the bundle was built from.
    "pnpm-lock.yaml",
    // What changes how the sources are read without being one of them: the workspace's package manifests (exports,
    // type) and TypeScript settings (what esbuild emits).
    ...buildSettings(),
    relative(REPOSITORY_ROOT, THIS_SCRIPT),
  ]),
].sort();
const sources: StartBundleSources = { files, hash: hashSources(REPOSITORY_ROOT, files) };
writeFileSync(join(building, "sources.json"), `${JSON.stringify(sources, null, 1)}\n`);
rmSync(START_BUNDLE_DIR, { recursive: true, force: true });
renameSync(building, START_BUNDLE_DIR);
console.log(`start bundle: ${relative(REPOSITORY_ROOT, START_BUNDLE_DIR)} from ${files.length} files`);
