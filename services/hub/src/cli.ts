// The `carehub` command (`pnpm carehub …`). Only wires the process: node's flags, arguments, signals, exit code.
import { homedir } from "node:os";
import { missingNodeEnv, missingNodeFlags } from "./node-flags.ts";
import { START_BUNDLE_ENTRY, staleBundleHandOver, startBundleVerdict } from "./start-bundle.ts";

// A hub process (`carehub start`) runs with the hub's V8 flags and compile cache (./node-flags.ts), however it was
// launched, and (as `carehub demo`) from the start bundle while that is fresh (./start-bundle.ts: the same code,
// loaded as a few files instead of about a thousand modules; a stale bundle never runs). If it was started
// otherwise, it replaces itself (same pid, same stdio) with node started so, before the hub's modules are loaded;
// a stale bundle's verdict goes along, so the sources are read and hashed once per start, not before and after.
const starting = process.argv[2] === "start";
// The demo (scripts/demo) runs the whole hub too, so it runs the same code as `carehub start`.
const runsHub = starting || process.argv[2] === "demo";
const verdict =
  runsHub && process.argv[1] !== START_BUNDLE_ENTRY ? startBundleVerdict(process.env, process.pid) : undefined;
const bundle = verdict?.bundle;
if (bundle?.state === "stale" && verdict?.inherited === false) {
  process.stderr.write(
    "carehub: the start bundle is older than the sources; running the sources (pnpm build:start rebuilds it)\n",
  );
}
const entry = bundle?.state === "fresh" ? bundle.entry : process.argv[1];
const missing = starting ? missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS) : [];
const missingEnv = starting ? missingNodeEnv(process.env, homedir()) : {}; // repo-paths: allow the hub user's cache
if (missing.length > 0 || Object.keys(missingEnv).length > 0 || entry !== process.argv[1]) {
  process.execve?.(
    process.execPath,
    [process.execPath, ...missing, ...process.execArgv, entry as string, ...process.argv.slice(2)],
    { ...process.env, ...missingEnv, ...(verdict === undefined ? {} : staleBundleHandOver(verdict, process.pid)) },
  );
}
const { runCli } = await import("./run-cli.ts");

const controller = new AbortController();
const stopRequested = new Promise<void>((resolve) => {
  let signalled = false;
  const onSignal = (): void => {
    // A second Ctrl-C while draining means: stop now.
    if (signalled) process.exit(1);
    signalled = true;
    controller.abort();
    resolve();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
});

// `carehub … | head`: the reader went away, which is not an error of ours; stop quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    // Only rebuild's question reads it: touching process.stdin opens a handle, so not before it is needed.
    get stdin() {
      return process.stdin;
    },
    stopRequested,
    stopSignal: controller.signal,
  });
  process.exitCode = code;
} catch (error) {
  process.stderr.write(`carehub: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
// Everything was stopped; should a stray handle keep the loop alive, do not hang the terminal, and say so:
// a stray handle is a bug (something started was not closed), and the demo's e2e test looks for this line.
const FORCED_EXIT_NOTICE = "carehub: something was still open 5 s after stopping; exiting anyway";
setTimeout(() => {
  process.stderr.write(`${FORCED_EXIT_NOTICE}\n`);
  process.exit();
}, 5_000).unref();
