import type { ReplicaCount, StreamReplicas } from "@carehub/schemas";
import { STREAM_ROLES, type StreamRole } from "./topology.ts";

/** What the connected server says about its cluster (the INFO it sent when the client connected). */
export interface ServerClusterInfo {
  /** The cluster's name; absent on a server that is not in a cluster. */
  cluster?: string;
  /** Client URLs of the cluster's servers that advertise them (this one included). */
  connect_urls?: string[];
}

/** Replicas on a cluster when the setting says `auto`: survives the loss of any one node. */
export const CLUSTER_REPLICAS = 3;

/**
 * `auto` resolved against the server: 1 on a server outside a cluster; on a cluster 3, or fewer when the
 * cluster advertises fewer servers (a 2-node cluster cannot place 3 copies). A cluster whose servers do not
 * advertise (`no_advertise`) is taken to have at least 3.
 */
export function autoReplicas(server: ServerClusterInfo | undefined): number {
  if (server?.cluster === undefined || server.cluster === "") return 1;
  const advertised = new Set(server.connect_urls ?? []).size;
  return advertised === 0 ? CLUSTER_REPLICAS : Math.min(CLUSTER_REPLICAS, advertised);
}

/** The replica count of every stream: the setting's per-class count, else its count for all, `auto` resolved. */
export function resolveStreamReplicas(
  setting: StreamReplicas | number | undefined,
  server: ServerClusterInfo | undefined,
): Record<StreamRole, number> {
  const resolve = (count: ReplicaCount): number => (count === "auto" ? autoReplicas(server) : count);
  return Object.fromEntries(
    STREAM_ROLES.map((role) => {
      if (setting === undefined) return [role, autoReplicas(server)];
      if (typeof setting === "number") return [role, setting];
      return [role, resolve(setting.byClass[role] ?? setting.all)];
    }),
  ) as Record<StreamRole, number>;
}
