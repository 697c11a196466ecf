/**
 * The ops port's listener, in a worker thread of its own (started by ./ops-server.ts). `/healthz` is answered
 * here, from the main thread's heartbeat: 200 while the main event loop turned within the stall limit, 503
 * `{"status":"stalled"}` when it has not — so a probe gets a prompt and true answer however busy the main loop
 * is, and a stuck one is still reported. `/readyz` and `/metrics` need the main thread's connections and
 * registry: they are asked of it and answered when it replies.
 *
 * A CommonJS module (`.cts`), and importing only node's own modules (and ./start-up-memory.ts): a worker thread that loads an ES module sets
 * up node's ES module loader in its own isolate, about 6.5 MB of every process's memory for nothing (measured:
 * the worker costs 17.6 MB loading this file as an ES module, 11 MB as CommonJS; docs/decisions/0099).
 */

import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FromListener, OpsListenerData, ToListener } from "./ops-server.ts" with { "resolution-mode": "import" };
import type * as StartUpMemory from "./start-up-memory.ts" with { "resolution-mode": "import" };

const { createServer } = require("node:http") as typeof import("node:http");
const { parentPort, workerData } = require("node:worker_threads") as typeof import("node:worker_threads");
// The one helper that is not node's own: an ES module with node's modules only, required synchronously (node's
// require of an ES module), which costs this isolate about 0.5 MB, not the ES module loader's 6.5 MB.
const { releaseStartUpMemory } = require("./start-up-memory.ts") as typeof StartUpMemory;

const data = workerData as OpsListenerData;
const port = parentPort;
if (port === null) throw new Error("ops-listener.ts runs as a worker thread (ops-server.ts)");
const heartbeat = new BigInt64Array(data.heartbeat);
const waiting = new Map<number, ServerResponse>();
let nextId = 0;
const send = (message: FromListener) => port.postMessage(message);

const server = createServer((request, response) => {
  const path = (request.url ?? "").split("?")[0];
  const reply = (status: number, body: string) =>
    response.writeHead(status, { "content-type": "application/json" }).end(body);
  if (request.method !== "GET") return reply(405, '{"status":"method not allowed"}');
  if (path === "/healthz") {
    const sinceBeat = Date.now() - Number(Atomics.load(heartbeat, 0));
    return sinceBeat <= data.stallMs ? reply(200, '{"status":"ok"}') : reply(503, '{"status":"stalled"}');
  }
  if (path === "/readyz" || path === "/metrics") {
    const id = nextId++;
    waiting.set(id, response);
    response.once("close", () => waiting.delete(id));
    send({ type: "ask", id, path });
    return;
  }
  return reply(404, '{"status":"not found"}');
});

port.on("message", (message: ToListener) => {
  if (message.type === "answer") {
    const response = waiting.get(message.id);
    waiting.delete(message.id);
    response?.writeHead(message.status, { "content-type": message.contentType }).end(message.body);
    return;
  }
  server.close(() => port.close());
  server.closeAllConnections();
});

server.once("error", (error: NodeJS.ErrnoException) => {
  send({ type: "failed", message: error.message, code: error.code });
  port.close();
});
server.listen(data.port, data.host, () => {
  // This isolate's start-up (node's bootstrap of a worker, node:http) filled its young generation and left garbage
  // that V8 would keep for minutes: collected once, before the main thread is told (so the main thread, which
  // does the same once it runs, never sets V8's flags at the same time), 4–8 MB less of every process.
  // Only where the main thread asked for it (`carehub start`, run-cli.ts): V8's flags are the process's, and two
  // listeners starting at once (startHub in tests, an embedder) would set them at the same time. Best effort, as
  // releaseStartUpMemory itself is: a collector another thread took away is skipped, costing memory, never the
  // listener.
  if (data.releaseStartUpMemory) releaseStartUpMemory();
  send({ type: "listening", port: (server.address() as AddressInfo).port, file: __filename });
});
