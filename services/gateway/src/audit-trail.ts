import type { Bus } from "@carehub/bus";
import type { AuditRecord } from "@carehub/schemas";
import { GatewayAuditUnavailableError } from "./gateway-errors.ts";

/** Where the query API writes its access records. */
export interface AuditTrail {
  /** Resolves once the record is stored; rejects with GatewayAuditUnavailableError when it is not. */
  write(record: AuditRecord): Promise<void>;
}

/** How long a read waits for JetStream to store its record before it is refused (503). */
export const AUDIT_PUBLISH_TIMEOUT_MS = 5_000;

/**
 * The AUDIT stream as the trail (docs/decisions/0012): each record is published to
 * `<ns>.audit.<action>.<actor type>.<actor id>` with its id as dedup id and must be stored by the AUDIT stream
 * itself (`expectStream`), so a record never lands anywhere else unnoticed.
 */
export function busAuditTrail(bus: Bus, options: { timeoutMs?: number } = {}): AuditTrail {
  const { subjects, streams } = bus.topology;
  return {
    async write(record) {
      const actorId = record.actor.type === "anonymous" ? "_" : record.actor.id;
      try {
        await bus.publish(subjects.audit(record.action, record.actor.type, actorId), JSON.stringify(record), {
          msgId: record.id,
          contentType: "application/json",
          expectStream: streams.audit,
          timeoutMs: options.timeoutMs ?? AUDIT_PUBLISH_TIMEOUT_MS,
        });
      } catch (error) {
        throw new GatewayAuditUnavailableError({ cause: error });
      }
    },
  };
}
