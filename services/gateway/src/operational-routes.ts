import { checkReadiness, metricsContentType, metricsText } from "@carehub/observability";
import type { FastifyInstance } from "fastify";
import type { HealthStatus } from "./api-bodies.ts";
import type { GatewayDeps } from "./gateway-deps.ts";
import { openApiText } from "./openapi.ts";

/**
 * `/healthz` (this listener takes requests), `/readyz` (NATS and Redis answer), `/metrics`, `/openapi.json` on the
 * API port. No token needed, and never refused for the in-flight or event-loop bounds (admission.ts
 * UNMETERED_PATHS), but refused like any request beyond CAREHUB_MAX_CONNECTIONS: liveness and readiness probes
 * belong on the process's ops port (CAREHUB_OPS_PORT, services/hub ops-server.ts), which no load bound touches.
 */
export function operationalRoutes(deps: GatewayDeps) {
  const openApi = openApiText();
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/healthz", async (): Promise<HealthStatus> => ({ status: "ok" }));

    app.get("/readyz", async (_request, reply) => {
      const { ready, body } = await checkReadiness({ nats: () => deps.bus.nc.rtt(), redis: () => deps.redis.ping() });
      return reply.code(ready ? 200 : 503).send(body satisfies HealthStatus);
    });

    app.get("/metrics", async (_request, reply) => reply.type(metricsContentType).send(await metricsText()));

    app.get("/openapi.json", async (_request, reply) => reply.type("application/json").send(openApi));
  };
}
