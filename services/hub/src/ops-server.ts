import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { metricsContentType, metricsText } from "@carehub/observability";

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 (the real port when the setting was 0). */
  url: string;
  close(): Promise<void>;
}

/**
 * The operational endpoints every `carehub start` process serves on its ops port, whichever services it
 * runs: `/healthz` (the process is up), `/readyz` (what `readiness` says: NATS and Redis answer, or what
 * start-up still waits for), `/metrics` (Prometheus). No token: nothing here says anything about a message or a
 * patient. Started before the connections, so a process still waiting for NATS or Redis already answers.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  readiness: () => Promise<{ ready: boolean; body: unknown }>;
}): Promise<OpsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    const reply = (status: number, type: string, body: string) =>
      response.writeHead(status, { "content-type": type }).end(body);
    if (request.method !== "GET") return reply(405, "application/json", '{"status":"method not allowed"}');
    if (path === "/healthz") return reply(200, "application/json", '{"status":"ok"}');
    if (path === "/readyz") {
      void options
        .readiness()
        .then(({ ready, body }) => reply(ready ? 200 : 503, "application/json", JSON.stringify(body)));
      return;
    }
    if (path === "/metrics") {
      void metricsText().then(
        (text) => reply(200, metricsContentType, text),
        () => reply(500, "text/plain", "metrics unavailable\n"),
      );
      return;
    }
    return reply(404, "application/json", '{"status":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
