import type { FastifyInstance } from "fastify";
import { createGatewayApp } from "./app.ts";
import type { GatewayDeps } from "./gateway-deps.ts";

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8080 (the real port when httpPort was 0). */
  url: string;
  app: FastifyInstance;
  /** Stops taking requests and waits for those in flight. Does not close the bus or Redis (not its own). */
  stop(): Promise<void>;
}

export async function startGateway(deps: GatewayDeps): Promise<RunningGateway> {
  const app = await createGatewayApp(deps);
  await app.listen({ host: deps.config.httpHost, port: deps.config.httpPort });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : deps.config.httpPort;
  const host = deps.config.httpHost.includes(":") ? `[${deps.config.httpHost}]` : deps.config.httpHost;
  deps.logger?.info({ url: `http://${host}:${port}` }, "gateway listening");
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    app,
    stop: () => {
      stopping ??= app.close();
      return stopping;
    },
  };
}
