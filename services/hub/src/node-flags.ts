import { join } from "node:path";

/**
 * The V8 flags every `carehub start` process runs with (docs/decisions/0076-young-generation-cap.md, 0137). V8 sizes
 * the young generation from the heap limit: on a machine with a few GB it lets each semi-space grow to 64 MiB, and a
 * gateway under overload grew its new space to 64–128 MiB of resident memory that it never gave back (the 3×
 * overload of docs/reliability.md). Capped, the gateway's RSS fell by about 50 MB in the bounded overload. The cap
 * is 16 MiB a semi-space (0137; 8 before): at 8 the all-in-one hub scavenged once per ~16 messages under load; 16
 * halves the scavenges and cuts the collector's time per message by a third (hub CPU −5 % on the mean of six
 * alternated pairs) for 0–20 MB more in the overload and none when idle. The flag takes full
 * effect only when the process starts: V8 sizes the heap from it then. Set later with `v8.setFlagsFromString`, it
 * acts only in part (measured on Node 24.21: a churning loop's new space was 32 MiB with the flag set at run time,
 * 16 MiB with it on the command line, 128 MiB with neither), so the CLI re-execs itself with the flag instead.
 */
export const HUB_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];

/**
 * The flags of HUB_NODE_FLAGS this process did not start with: neither on its command line nor in NODE_OPTIONS.
 * A flag the operator set to another value (e.g. `NODE_OPTIONS=--max-semi-space-size=32`) counts as set: theirs wins.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  return HUB_NODE_FLAGS.filter((flag) => {
    const name = flag.split("=")[0] as string;
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}

/**
 * The environment a `carehub start` process adds for itself (docs/decisions/0096): node's compile cache. The hub's
 * modules are TypeScript, and node strips their types with a WebAssembly module that stays resident once loaded;
 * with the cache on from the start (so that even the entry file comes from it) a warm start loads stripped,
 * compiled code from disk and never loads that module (measured: 16–27 MB less RSS per process). Node runs what the
 * cache holds, checking it only against a hash of the source, so the cache lives where only the hub's own user can
 * write: `$XDG_CACHE_HOME/carehub/node-compile-cache`, else `~/.cache/carehub/node-compile-cache` (repo-paths: allow
 * the hub user's own cache, outside any checkout; `home` is that user's home directory) — never a shared temporary
 * directory, where another local user could plant entries first. An operator's NODE_COMPILE_CACHE or
 * NODE_DISABLE_COMPILE_CACHE wins.
 */
export function missingNodeEnv(env: NodeJS.ProcessEnv, home: string): Record<string, string> {
  if (env.NODE_COMPILE_CACHE !== undefined || env.NODE_DISABLE_COMPILE_CACHE !== undefined) return {};
  const cacheHome =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(home, ".cache");
  return { NODE_COMPILE_CACHE: join(cacheHome, "carehub", "node-compile-cache") };
}
