import type { Logger } from "@carehub/observability";
import type { HubConfig } from "@carehub/schemas";
import { type Bus, connectBus, type ProvisionOptions } from "./bus.ts";
import type { ProvisionReport } from "./provision.ts";
import { auditRetention, DEFAULT_AUDIT_RETENTION_DAYS, messageRetention } from "./topology.ts";

/** What a hub process's bus is made from: the hub configuration every service parses the same way. */
export type HubBusConfig = Pick<HubConfig, "natsUrl" | "natsUser" | "natsPass" | "namespace" | "retentionDays"> &
  Partial<Pick<HubConfig, "auditRetentionDays" | "streamReplicas" | "payloadKeys">>;

/**
 * How every process of one hub provisions its streams, so that none of them undoes another's settings:
 * PIPELINE and EVENTS as long as the read model keeps what it builds from them (`carehub rebuild` replays them),
 * no other message stream longer than that (`messageRetention`),
 * AUDIT as long as access records must be kept (`auditRetentionDays`, default five years), and each stream class
 * with its configured replicas (`streamReplicas`, default `auto`).
 */
export function hubProvisionOptions(
  config: Pick<HubConfig, "retentionDays"> &
    Partial<Pick<HubConfig, "auditRetentionDays" | "streamReplicas" | "outboxByReference">>,
): ProvisionOptions {
  return {
    ...(config.streamReplicas === undefined ? {} : { replicas: config.streamReplicas }),
    ...(config.outboxByReference === true ? { outboxByReference: true } : {}),
    retention: {
      ...messageRetention(config.retentionDays),
      ...auditRetention(config.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS),
    },
  };
}

export interface HubBusOptions {
  /** The NATS connection name (shows in the server's connection list). */
  name: string;
  logger?: Logger;
  /** Provision the streams (default true); `carehub provision` does it itself to print the report. */
  provision?: boolean;
}

/**
 * The bus of a hub process (a service's main, the all-in-one hub, a CLI command): connects to the configured
 * NATS servers as the configured user, in the hub's namespace, and provisions the streams idempotently. When
 * provisioning fails the connection is drained before the error is thrown.
 */
export async function connectHubBus(config: HubBusConfig, options: HubBusOptions): Promise<Bus> {
  const bus = await connectBus({
    servers: config.natsUrl.split(","),
    name: options.name,
    namespace: config.namespace,
    ...(config.natsUser === undefined ? {} : { user: config.natsUser }),
    ...(config.natsPass === undefined ? {} : { pass: config.natsPass }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(config.payloadKeys === undefined ? {} : { payloadKeys: config.payloadKeys }),
  });
  if (options.provision === false) return bus;
  try {
    const report = await bus.provision(hubProvisionOptions(config));
    reportKeptSettings(report, options.logger);
  } catch (error) {
    await bus.drain();
    throw error;
  }
  return bus;
}

/** A stream that keeps more replicas than configured is fine to run on, but the operator should know. */
function reportKeptSettings(report: ProvisionReport, logger: Logger | undefined): void {
  const kept = report.streams.filter((s) => s.kept.length > 0).map((s) => ({ stream: s.stream, kept: s.kept }));
  if (kept.length > 0) {
    logger?.warn({ kept }, "streams keep more replicas than configured: provisioning never lowers them");
  }
}
