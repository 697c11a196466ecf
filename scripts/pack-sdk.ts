// Builds @carehub/client and @carehub/testkit to JavaScript with declarations (tsdown, see each package's
// tsdown.config.ts) and packs each into a tarball an outside project installs with npm
// (docs/decisions/0018-package-build.md). pnpm pack applies each package's publishConfig, so the tarball's
// package.json points at dist/ while the workspace keeps importing src/.
//
//   node scripts/pack-sdk.ts [destination]     (default: ./dist-sdk); prints one tarball path a line
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The packages an integrator installs, in the repository. */
export const SDK_PACKAGES = ["packages/client", "packages/testkit"] as const;

const ROOT = resolve(import.meta.dirname, "..");

export function packSdk(destination: string, options: { quiet?: boolean } = {}): string[] {
  const stdio = options.quiet === true ? "pipe" : "inherit";
  mkdirSync(destination, { recursive: true });
  const filters = SDK_PACKAGES.flatMap((dir) => ["--filter", `./${dir}`]);
  // Both at once (--no-sort): the client's devDependency on the testkit is not a build order.
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
