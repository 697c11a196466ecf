// Builds @carehub/client, @carehub/testkit and @carehub/testkit-hub to JavaScript with declarations (tsdown, see
// each package's tsdown.config.ts) and packs each into a tarball an outside project installs with npm
// (docs/decisions/0018-package-build.md, 0071). pnpm pack applies each package's publishConfig, so the tarball's
// package.json points at dist/ while the workspace keeps importing src/.
//
//   node scripts/pack-sdk.ts [destination]     (default: ./dist-sdk); prints one tarball path a line
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The packages an integrator installs, in the repository. */
export const SDK_PACKAGES = ["packages/client", "packages/testkit", "packages/testkit-hub"] as const;

const ROOT = resolve(import.meta.dirname, "..");

export function packSdk(destination: string, options: { quiet?: boolean } = {}): string[] {
  const stdio = options.quiet === true ? "pipe" : "inherit";
  mkdirSync(destination, { recursive: true });
  const filters = SDK_PACKAGES.flatMap((dir) => ["--filter", `./${dir}`]);
  // Two at a time (--no-sort): the devDependencies between them (the client's and testkit-hub's on the testkit)
  // are not a build order; each bundles from source.
  execFileSync("pnpm", [...filters, "--no-sort", "--workspace-concurrency=2", "run", "build"], { cwd: ROOT, stdio });
  const before = new Set(readdirSync(destination));
  for (const dir of SDK_PACKAGES) {
    execFileSync("pnpm", ["pack", "--pack-destination", destination], { cwd: join(ROOT, dir), stdio: "ignore" });
  }
  return readdirSync(destination)
    .filter((name) => name.endsWith(".tgz") && !before.has(name))
    .map((name) => join(destination, name));
}

if (import.meta.main) {
  const destination = resolve(process.argv[2] ?? join(ROOT, "dist-sdk"));
  for (const tarball of packSdk(destination)) console.log(tarball);
}
