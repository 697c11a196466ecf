import { metricsContentType, metricsText } from "@carehub/observability";
import type { FastifyInstance } from "fastify";
import { UNMETERED } from "./admission.ts";
import type { HealthStatus } from "./api-bodies.ts";
import type { GatewayDeps } from "./gateway-deps.ts";
import { openApiText } from "./openapi.ts";

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `/healthz` (process up), `/readyz` (NATS and Redis answer), `/metrics`, `/openapi.json`. No token needed, and
 * never refused for load (UNMETERED): a probe must see a busy gateway as alive.
 */
export function operationalRoutes(deps: GatewayDeps) {
  const openApi = openApiText();
  return async (app: FastifyInstance): Promise<void> => {
    app.get("/healthz", UNMETERED, async (): Promise<HealthStatus> => ({ status: "ok" }));

    app.get("/readyz", UNMETERED, async (_request, reply) => {
      const [nats, redis] = await Promise.all([answers(() => deps.bus.nc.rtt()), answers(() => deps.redis.ping())]);
      const body: HealthStatus = {
        status: nats && redis ? "ok" : "unavailable",
        checks: { nats: nats ? "ok" : "unavailable", redis: redis ? "ok" : "unavailable" },
      };
      return reply.code(nats && redis ? 200 : 503).send(body);
    });

    app.get("/metrics", UNMETERED, async (_request, reply) => reply.type(metricsContentType).send(await metricsText()));

    app.get("/openapi.json", UNMETERED, async (_request, reply) => reply.type("application/json").send(openApi));
  };
}

/** Whether `check` settles successfully within the time limit. */
async function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
