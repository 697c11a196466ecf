import { type Bus, publishAuditRecord } from "@carehub/bus";
import type { AuditRecord } from "@carehub/schemas";
import { GatewayAuditUnavailableError } from "./gateway-errors.ts";

/** Where the query API writes its access records. */
export interface AuditTrail {
  /** Resolves once the record is stored; rejects with GatewayAuditUnavailableError when it is not. */
  write(record: AuditRecord): Promise<void>;
}

/** The AUDIT stream as the trail, through the one writer of access records (`publishAuditRecord`, packages/bus). */
export function busAuditTrail(bus: Bus, options: { timeoutMs?: number } = {}): AuditTrail {
  return {
    async write(record) {
      try {
        await publishAuditRecord(bus, record, options);
      } catch (error) {
        throw new GatewayAuditUnavailableError({ cause: error });
      }
    },
  };
}
