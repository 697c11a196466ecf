import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { HubConfig } from "@carehub/schemas";
import { patientHash, type ReadModelQueries } from "@carehub/store";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { type CircuitStateOf, watchCircuits } from "./circuit-incidents.ts";
import { createConsoleApp } from "./console-app.ts";
import { consoleAuditTrail } from "./console-audit.ts";
import type { RedriveTo, ResendTo } from "./console-request.ts";
import { type ConsoleOptions, secureCookiesOn } from "./console-settings.ts";
import { redisIncidentStore } from "./incident-store.ts";
import { startLiveFlow } from "./live-flow.ts";
import { messageBrowser } from "./message-browser.ts";
import { oidcSignIn } from "./oidc-sign-in.ts";
import { redisSessionStore } from "./session-store.ts";
import { buildUiBundle } from "./ui-bundle.ts";

export interface ConsoleDeps {
  config: HubConfig;
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  store: ReadModelQueries;
  logger: Logger;
  options: ConsoleOptions;
  /** Puts chosen messages' dead letters for one receiver back on its OUTBOX subject (the dispatcher's redrive). */
  redrive: RedriveTo;
  /** Sends delivered messages again to one receiver as new deliveries (the dispatcher's re-send). */
  resend: ResendTo;
  /** The dispatcher's circuit state of an endpoint: an incident opens while it is not closed. */
  circuitState: CircuitStateOf;
}

export interface RunningConsole {
  /** Base URL, e.g. http://127.0.0.1:8090 (the real port when the port setting was 0). */
  url: string;
  app: FastifyInstance;
  /** Stops the web server and the live-flow counting. Does not close the bus or Redis (not its own). */
  stop(): Promise<void>;
}

export async function startConsole(deps: ConsoleDeps): Promise<RunningConsole> {
  const { config } = deps;
  const flow = startLiveFlow(deps.bus, deps.logger);
  const incidents = redisIncidentStore(deps.redis, config.namespace);
  const circuits = watchCircuits({ ...deps, incidents });
  try {
    const app = await createConsoleApp({
      registry: deps.registry,
      sessions: redisSessionStore(deps.redis, {
        namespace: config.namespace,
        ttlSeconds: deps.options.sessionTtlSeconds,
      }),
      audit: consoleAuditTrail(deps.bus),
      flow,
      browser: messageBrowser({ ...deps, namespace: config.namespace }),
      patientHash: (identifier) => patientHash(config.patientHashKey, identifier),
      ui: await buildUiBundle(),
      sessionTtlSeconds: deps.options.sessionTtlSeconds,
      secureCookies: secureCookiesOn(deps.options.secureCookies, config.httpHost),
      ...(deps.options.oidc === undefined
        ? {}
        : { oidc: oidcSignIn({ ...deps.options.oidc, redis: deps.redis, namespace: config.namespace }) }),
      logger: deps.logger,
      redrive: deps.redrive,
      resend: deps.resend,
      incidents,
      statusCounts: () => deps.store.statusCounts(),
      periodStats: (query) => deps.store.periodStats(query),
      careBoard: (endpoint, limit) => deps.store.careBoard(endpoint, limit),
      circuitState: deps.circuitState,
    });
    await app.listen({ host: config.httpHost, port: deps.options.port });
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : deps.options.port;
    const host = config.httpHost.includes(":") ? `[${config.httpHost}]` : config.httpHost;
    const url = `http://${host}:${port}`;
    deps.logger.info({ url }, "console listening");
    let stopping: Promise<void> | undefined;
    return {
      url,
      app,
      stop: () => {
        circuits.stop();
        stopping ??= flow.stop().then(() => app.close());
        return stopping;
      },
    };
  } catch (error) {
    circuits.stop();
    await flow.stop();
    throw error;
  }
}
