import type { Bus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { HubConfig } from "@carehub/schemas";
import type { ReadModelStore } from "@carehub/store";
import type { Redis } from "ioredis";

/** The services one process can run, in start order: consumers first, the HTTP door last. */
export const SERVICE_NAMES = ["tracker", "dispatcher", "router", "intake", "gateway"] as const;
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
}

export interface RunningService {
  stop(): Promise<void>;
  /** The gateway's base URL. */
  url?: string;
}

type Starter = (deps: ServiceDeps) => Promise<RunningService>;

/** Each service's package and the name of its exported start function. */
const STARTERS: Readonly<Record<ServiceName, { load: () => Promise<unknown>; exportName: string }>> = {
  gateway: { load: () => import("@carehub/gateway"), exportName: "startGateway" },
  intake: { load: () => import("@carehub/intake"), exportName: "startIntake" },
  router: { load: () => import("@carehub/router"), exportName: "startRouter" },
  dispatcher: { load: () => import("@carehub/dispatcher"), exportName: "startDispatcher" },
  tracker: { load: () => import("@carehub/tracker"), exportName: "startTracker" },
};

/**
 * The start function of a service, or undefined while that service has not landed yet (its package exports
 * no `start*`). Services never import each other; only this composition root knows them all.
 */
export async function loadStarter(name: ServiceName): Promise<Starter | undefined> {
  const { load, exportName } = STARTERS[name];
  const module = (await load()) as Record<string, unknown>;
  const start = module[exportName];
  return typeof start === "function" ? (start as Starter) : undefined;
}
