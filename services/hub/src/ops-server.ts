import { Worker } from "node:worker_threads";
import { metricsContentType, metricsText, watchEventLoop } from "@carehub/observability";
import { START_BUNDLE_ENTRY, START_BUNDLE_OPS_LISTENER } from "./start-bundle.ts";

export interface OpsListenerData {
  host: string;
  port: number;
  /** One BigInt64 slot: the main thread's last heartbeat (ms since the epoch). */
  heartbeat: SharedArrayBuffer;
  stallMs: number;
  /** Collect the thread's start-up garbage once it listens (start-up-memory.ts): `carehub start` only. */
  releaseStartUpMemory: boolean;
}

/** Main thread → listener. */
export type ToListener =
  | { type: "answer"; id: number; status: number; contentType: string; body: string }
  | { type: "close" };
/** Listener → main thread. */
export type FromListener =
  | { type: "listening"; port: number /** The listener's own file (its `__filename`). */; file: string }
  | { type: "failed"; message: string; code: string | undefined }
  | { type: "ask"; id: number; path: "/readyz" | "/metrics" };

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 (the real port when the setting was 0). */
  url: string;
  /**
   * The file its thread runs, as the thread itself reports it: the source (ops-listener.cts) or, in a process that
   * runs the start bundle, the one built with it (opsListenerFile).
   */
  listenerFile: string;
  close(): Promise<void>;
}

/**
 * The listener's file: in a process that runs the start bundle (which runs only while it is fresh, start-bundle.ts)
 * the one built with it, JavaScript, so the thread compiles no TypeScript (docs/decisions/0121); else the source.
 */
export function opsListenerFile(entry: string | undefined = process.argv[1]): string | URL {
  return entry === START_BUNDLE_ENTRY ? START_BUNDLE_OPS_LISTENER : new URL("./ops-listener.cts", import.meta.url);
}

/**
 * `/healthz` answers 503 once the main event loop has not turned for this long: a loop that busy is stuck, not
 * loaded (under the chaos suite's 3× overload it stays within about a second).
 */
export const LIVENESS_STALL_MS = 5_000;

/**
 * The operational endpoints every `carehub start` process serves on its ops port, whichever services it
 * runs: `/healthz` (the process's event loop turns), `/readyz` (what `readiness` says: NATS and Redis answer, or
 * what start-up still waits for), `/metrics` (Prometheus). No token: nothing here says anything about a message
 * or a patient. Started before the connections, so a process still waiting for NATS or Redis already answers.
 * The port is served by a worker thread (./ops-listener.cts, docs/decisions/0058-liveness-off-the-main-loop.md):
 * `/healthz` is answered there from the heartbeat of the process's event-loop monitor (@carehub/observability
 * watchEventLoop, which the gateway's admission reads too), promptly however busy the main loop is; `/readyz` and
 * `/metrics` are answered by the main thread.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  readiness: () => Promise<{ ready: boolean; body: unknown }>;
  /** Default LIVENESS_STALL_MS (tests use less). */
  stallMs?: number;
  /**
   * The listener's thread gives back its start-up memory (start-up-memory.ts, docs/decisions/0121) — it sets V8's
   * process-wide flags for a moment, so only `carehub start` asks (run-cli.ts), never a process that may start
   * another ops server beside it. Default false.
   */
  releaseStartUpMemory?: boolean;
}): Promise<OpsServer> {
  // The heartbeat is the process's one event-loop monitor (@carehub/observability watchEventLoop): the time of
  // its last tick, written every 100 ms (20 ms in a gateway process) while the main loop turns.
  const eventLoop = watchEventLoop();
  const workerData: OpsListenerData = {
    host: options.host,
    port: options.port,
    heartbeat: eventLoop.heartbeat,
    stallMs: options.stallMs ?? LIVENESS_STALL_MS,
    releaseStartUpMemory: options.releaseStartUpMemory === true,
  };
  const worker = new Worker(opsListenerFile(), { workerData });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const answer = (message: ToListener) => worker.postMessage(message);
  let listening: { port: number; file: string };
  try {
    listening = await new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (message: FromListener) => {
        if (message.type === "listening") resolve(message);
        else if (message.type === "failed") reject(Object.assign(new Error(message.message), { code: message.code }));
        else if (message.path === "/readyz") {
          void options.readiness().then(({ ready, body }) =>
            answer({
              type: "answer",
              id: message.id,
              status: ready ? 200 : 503,
              contentType: "application/json",
              body: JSON.stringify(body),
            }),
          );
        } else {
          void metricsText().then(
            (text) =>
              answer({ type: "answer", id: message.id, status: 200, contentType: metricsContentType, body: text }),
            () =>
              answer({
                type: "answer",
                id: message.id,
                status: 500,
                contentType: "text/plain",
                body: "metrics unavailable\n",
              }),
          );
        }
      });
    });
  } catch (error) {
    eventLoop.release();
    await worker.terminate();
    throw error;
  }
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${listening.port}`,
    listenerFile: listening.file,
    close: () => {
      closing ??= (async () => {
        eventLoop.release();
        answer({ type: "close" });
        await exited;
      })();
      return closing;
    },
  };
}
