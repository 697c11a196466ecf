import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectProcessMetrics, metricsContentType, metricsText } from "./metrics.ts";

export interface MetricsServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
}

export interface MetricsServer {
  /** `http://host:port`; the metrics are at `${url}/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` (and `GET /healthz`) on a port of its own, for a hub process that runs no gateway (intake,
 * router, dispatcher or tracker started alone), so Prometheus can scrape every process (infra/prometheus).
 * Process metrics (memory, CPU, event-loop lag) are turned on with it.
 */
export async function serveMetrics(options: MetricsServerOptions): Promise<MetricsServer> {
  collectProcessMetrics();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" || (path !== "/metrics" && path !== "/healthz")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (path === "/healthz") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    metricsText().then(
      (text) => response.writeHead(200, { "content-type": metricsContentType }).end(text),
      () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
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
