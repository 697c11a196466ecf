import type { Bus } from "@carehub/bus";
import type { MessageIdentity } from "@carehub/formats";
import type { Logger } from "@carehub/observability";
import type { RegistrySource } from "@carehub/registry";
import type { HubConfig } from "@carehub/schemas";
import type { Redis } from "ioredis";
import type { AuditTrail } from "./audit-trail.ts";

/** What the gateway is built from. The hub (`carehub start`) makes these; tests pass their own. */
export interface GatewayDeps {
  config: Pick<HubConfig, "httpHost" | "httpPort" | "maxBodyBytes" | "retentionDays"> &
    Partial<
      Pick<
        HubConfig,
        | "maxInflightRequests"
        | "maxInflightBytes"
        | "maxConnections"
        | "maxEventLoopLagMs"
        | "maxIngressBacklog"
        | "requestTimeoutMs"
      >
    >;
  /** The endpoint registry; a watcher makes reloads visible to the next request. */
  registry: RegistrySource;
  bus: Bus;
  redis: Redis;
  logger?: Logger;
  /** The read model, handed to the query API routes (packages/store). */
  store?: unknown;
  /** Reads a message's id and kind from its header (default: readMessageIdentity from @carehub/formats). */
  readIdentity?: (bytes: Uint8Array, options: { contentType?: string }) => MessageIdentity;
  clock?: () => Date;
  /** Where query requests' access records go (default: the AUDIT stream of `bus`). */
  audit?: AuditTrail;
}
