import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type GarbageCollect = (options: {
  type: "major";
  execution: "sync";
  /** `last-resort`: V8's memory-reducing collection, as after a low-memory notification. */
  flavor: "last-resort";
}) => void;

/**
 * Gives back the memory a `carehub start` process used only to start (docs/decisions/0099-idle-process-memory.md):
 * one memory-reducing garbage collection once every module is loaded and every service runs. Starting fills the
 * young generation to its cap (node-flags.ts: 2 × 8 MiB, resident) and the old generation with the garbage of
 * loading about a thousand modules, reading the settings and provisioning the streams; V8 shrinks them only when it
 * notices the process idle, after a minute or more. This collection (V8's `last-resort` flavour: compacts, shrinks
 * the young generation to its minimum, releases unused pages) does it at once: an idle router 78 → 55 MB private
 * (measured with `pnpm bench:idle`). It pauses the process once, for tens of milliseconds to a few hundred,
 * before it has taken any work from its queues… or while it takes its first; under load the young generation grows
 * back to its cap within the first collections, so throughput is unchanged.
 *
 * The ops listener's worker thread (ops-listener.cts) calls it too in a `carehub start` process (its workerData says
 * so; run-cli.ts), once it listens and before the main thread goes on: its isolate's start-up leaves the same (its
 * heap 15 → 8 MB), and the two never set V8's flags at once. Nothing else in a process (tests, `startHub`,
 * an embedder) calls it.
 *
 * Node exposes the collector only with `--expose-gc`, which would also give every library a global `gc`: the flag
 * is set just long enough to take the function from a fresh context, then cleared (so V8's flags, and with them
 * node's compile cache, stay as they were). An operator who runs with `--expose-gc` keeps their global `gc`.
 */
export function releaseStartUpMemory(): void {
  let collect = (globalThis as { gc?: unknown }).gc;
  if (typeof collect !== "function") {
    setFlagsFromString("--expose-gc");
    try {
      // `globalThis.gc`, not `gc`: undefined rather than a ReferenceError when another thread of this process
      // cleared the flag between the two lines.
      collect = runInNewContext("globalThis.gc");
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  // Best effort: V8's flags are the process's, and a thread that sets and clears them beside another (two ops
  // listeners starting at once in one process: tests, an embedder) may find no collector. It then skips.
  if (typeof collect !== "function") return;
  (collect as GarbageCollect)({ type: "major", execution: "sync", flavor: "last-resort" });
}
