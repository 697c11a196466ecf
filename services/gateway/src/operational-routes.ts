import { checkReadiness, metricsContentType, metricsText } from "@carehub/observability";
import type { FastifyInstance } from "fastify";
import { UNMETERED } from "./admission.ts";
import type { HealthStatus } from "./api-bodies.ts";
import type { GatewayDeps } from "./gateway-deps.ts";
import { openApiText } from "./openapi.ts";

/**
 * `/healthz` (process up), `/readyz` (NATS and Redis answer), `/metrics`, `/openapi.json`. No token needed, and
 * never refused for load (UNMETERED): a probe must see a busy gateway as alive.
 */
export function operationalRoutes(deps: GatewayDeps) {
  const openApi = openApiText();
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/healthz", UNMETERED, async (): Promise<HealthStatus> => ({ status: "ok" }));

    app.get("/readyz", UNMETERED, async (_request, reply) => {
      const { ready, body } = await checkReadiness({ nats: () => deps.bus.nc.rtt(), redis: () => deps.redis.ping() });
      return reply.code(ready ? 200 : 503).send(body satisfies HealthStatus);
    });

    app.get("/metrics", UNMETERED, async (_request, reply) => reply.type(metricsContentType).send(await metricsText()));

    app.get("/openapi.json", UNMETERED, async (_request, reply) => reply.type("application/json").send(openApi));
  };
}
