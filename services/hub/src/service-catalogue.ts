import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { HubConfig } from "@carehub/schemas";
import type { ReadModelStore } from "@carehub/store";
import type { Redis } from "ioredis";
import type { ServiceSettings } from "./service-settings.ts";

/** The services one process can run, in start order: consumers first, the HTTP doors last (the console after the API). */
export const SERVICE_NAMES = ["tracker", "dispatcher", "router", "intake", "gateway", "console"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** Everything a service's start function may need; each takes the parts it uses. */
export interface ServiceDeps {
  config: HubConfig;
  bus: Bus;
  redis: Redis;
  registry: RegistrySource;
  store: ReadModelStore;
  logger: Logger;
  retentionDays: number;
  /** Every service's own settings, parsed once for the process (service-settings.ts). */
  settings: ServiceSettings;
}

export interface RunningService {
  stop(): Promise<void>;
  /** The gateway's or the console's base URL. */
  url?: string;
}

/**
 * How each service starts from the shared parts. Services never import each other; only this composition
 * root knows them all, and the type checker checks each one's wiring. Each service's code is loaded when it
 * starts, so a process loads only the services it runs (an idle one-service process about 30–37 MB smaller;
 * docs/performance.md, "An idle hub").
 */
export const SERVICE_STARTERS: Readonly<Record<ServiceName, (deps: ServiceDeps) => Promise<RunningService>>> = {
  gateway: async (deps) => (await import("@carehub/gateway")).startGateway(deps),
  intake: async (deps) =>
    (await import("@carehub/intake")).startIntake({ ...deps, concurrency: deps.settings.intake.concurrency }),
  router: async (deps) =>
    (await import("@carehub/router")).startRouter({ ...deps, concurrency: deps.settings.router.concurrency }),
  dispatcher: async (deps) =>
    (await import("@carehub/dispatcher")).startDispatcher({ ...deps, options: deps.settings.dispatcher }),
  tracker: async (deps) => (await import("@carehub/tracker")).startTracker({ ...deps, options: deps.settings.tracker }),
  // The console re-runs dead letters through the dispatcher's redrive and reads its circuits: wired here, since
  // services never import each other.
  console: async (deps) => {
    const [
      { startConsole },
      { dispatcherStateTtlSeconds, dispatchKeys, parseCircuitState, redriveDeadLetters, resendDelivered },
    ] = await Promise.all([import("@carehub/console"), import("@carehub/dispatcher")]);
    return startConsole({
      ...deps,
      options: deps.settings.console,
      redrive: ({ hubIds, endpoint, limit }) => redriveDeadLetters(deps.bus, { hubIds, endpoint, limit }),
      resend: (request) =>
        resendDelivered(
          {
            bus: deps.bus,
            redis: deps.redis,
            keys: dispatchKeys(deps.config.namespace),
            ttlSeconds: dispatcherStateTtlSeconds(deps.settings.dispatcher, deps.retentionDays),
          },
          request,
        ),
      circuitState: async (endpoint) =>
        parseCircuitState(await deps.redis.get(dispatchKeys(deps.config.namespace).circuit(endpoint))).state,
    });
  },
};
