import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The hub's start bundle (docs/decisions/0105-start-bundle.md): `services/hub/src/cli.ts` and everything it imports,
 * built by `pnpm build:start` (services/hub/scripts/build-start.ts) into one script per entry plus one chunk per
 * lazily loaded part (a service, a command), so a process loads a few files instead of about a thousand modules:
 * an idle one-service process about 18–22 MB smaller. It is the same code as the sources; `carehub start` runs it only
 * while it is fresh — built from exactly the sources on disk now — and the sources otherwise.
 */

/** The repository's root, where the bundle's sources list is relative to. */
export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const START_BUNDLE_DIR = fileURLToPath(new URL("../dist/start/", import.meta.url));
/** What `carehub` runs when the bundle is fresh: the bundled `cli.ts`. */
export const START_BUNDLE_ENTRY = join(START_BUNDLE_DIR, "cli.js");
const OPS_LISTENER_FILE_NAME = "ops-listener.cjs";
/**
 * The ops port's listener (ops-listener.cts, a worker thread's file) built with the bundle as JavaScript: a process
 * that runs the bundle starts its listener from here, so it compiles no TypeScript at all — with node's compile
 * cache cold (a first start after a deploy, a fresh container) the listener's thread otherwise loads node's
 * TypeScript stripper, about 14 MB of RSS for the process's life (docs/decisions/0121).
 */
export const START_BUNDLE_OPS_LISTENER = join(START_BUNDLE_DIR, OPS_LISTENER_FILE_NAME);
/** Written last by the build: the files the bundle was built from and a hash of their contents. */
export const START_BUNDLE_SOURCES = join(START_BUNDLE_DIR, "sources.json");

export interface StartBundleSources {
  /** Repository-relative paths: every input of the bundle, the lockfile and the build script itself. */
  files: string[];
  hash: string;
}

/**
 * A hash of the repository's place, and of the files' paths and contents in the order given; a file that is gone
 * hashes as such. An installed
 * dependency's file (under node_modules/) counts by its path alone: pnpm's paths name the version and the patch,
 * and what an install puts there is fixed by the lockfile, which is one of the files.
 */
export function hashSources(root: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  // The bundle names its sources' places by absolute path (build-start.ts): a checkout moved or copied elsewhere
  // must not run a bundle that reads the former place's files.
  hash.update(resolve(root)).update("\0");
  for (const file of files) {
    hash.update(file).update("\0");
    if (file.startsWith("node_modules/")) continue;
    try {
      hash.update(readFileSync(join(root, file)));
    } catch {
      hash.update("\0missing\0");
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

export type StartBundleState = { state: "fresh"; entry: string } | { state: "missing" } | { state: "stale" };

/**
 * Whether the bundle in `dir` was built from the sources as they are now. Every file it was built from is read
 * and hashed again (the repository's own files: about 300, the lockfile, and the paths of the dependencies' files), so an edited source, a changed dependency (the
 * lockfile) or a changed build makes it stale, and a stale bundle never runs. The hash is of the sources, not of
 * the built files: a bundle whose built listener is gone (deleted by hand, a partial copy) counts as missing, or the
 * bundled process would fail when it starts its ops listener's thread.
 */
export function startBundleState(dir = START_BUNDLE_DIR, root = REPOSITORY_ROOT): StartBundleState {
  let sources: StartBundleSources;
  try {
    sources = JSON.parse(readFileSync(join(dir, "sources.json"), "utf8")) as StartBundleSources;
  } catch {
    return { state: "missing" };
  }
  if (!existsSync(join(dir, OPS_LISTENER_FILE_NAME))) return { state: "missing" };
  if (!Array.isArray(sources.files) || sources.files.length === 0) return { state: "stale" };
  return hashSources(root, sources.files) === sources.hash
    ? { state: "fresh", entry: join(dir, "cli.js") }
    : { state: "stale" };
}

/**
 * Set by a `carehub` that found the bundle stale, for the node it replaces itself with (process.execve: same pid),
 * so that one does not read and hash every source again: its value is that pid. It can only say "stale", so it can
 * only ever make a process run the sources, never a bundle; and it counts only in the process it names (taken out
 * of the environment there, so nothing that process starts inherits it).
 */
export const START_BUNDLE_STALE_ENV = "CAREHUB_START_BUNDLE_STALE_IN";

/** What the CLI runs: the bundle's state, and whether the process it replaced found it (and said so) already. */
export interface StartBundleVerdict {
  bundle: StartBundleState;
  /** The bundle is stale and the process this one replaced hashed the sources and said so. */
  inherited: boolean;
}

/**
 * The start bundle's state for the `carehub` process `pid`: handed over by the process it replaced (stale only), or
 * read and hashed now (`check`). Removes the hand-over from `env` either way.
 */
export function startBundleVerdict(
  env: NodeJS.ProcessEnv,
  pid: number,
  check: () => StartBundleState = () => startBundleState(),
): StartBundleVerdict {
  const handedOver = env[START_BUNDLE_STALE_ENV];
  delete env[START_BUNDLE_STALE_ENV];
  if (handedOver === String(pid)) return { bundle: { state: "stale" }, inherited: true };
  return { bundle: check(), inherited: false };
}

/** What a `carehub` that found the bundle stale adds to the environment of the node it replaces itself with. */
export function staleBundleHandOver(verdict: StartBundleVerdict, pid: number): Record<string, string> {
  return verdict.bundle.state === "stale" ? { [START_BUNDLE_STALE_ENV]: String(pid) } : {};
}
