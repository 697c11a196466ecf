import { randomBytes } from "node:crypto";
import type { Bus } from "@carehub/bus";
import type { AuditAction, AuditQuery, AuditRecord, AuditResource } from "@carehub/schemas";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";

/** How long a console action waits for JetStream to store its access record before it is refused (503). */
export const CONSOLE_AUDIT_TIMEOUT_MS = 5_000;

export interface ConsoleAccess {
  operatorId: string;
  action: AuditAction;
  resources: AuditResource[];
  query?: AuditQuery;
  outcome: AuditRecord["outcome"];
  request: AuditRecord["request"];
}

/** Where the console writes its access records: the AUDIT stream the gateway's query API writes to. */
export interface ConsoleAuditTrail {
  /** Resolves once stored; rejects with a 503 ConsoleRequestError otherwise (fail closed: nothing is shown). */
  record(access: ConsoleAccess): Promise<AuditRecord>;
}

/**
 * Publishes each record as the gateway does (docs/decisions/0012): subject `<ns>.audit.<action>.operator.<id>`,
 * its id as dedup id, stored by the AUDIT stream itself.
 */
export function consoleAuditTrail(bus: Bus, clock: () => Date = () => new Date()): ConsoleAuditTrail {
  const { subjects, streams } = bus.topology;
  return {
    async record(access) {
      const at = clock();
      const record: AuditRecord = {
        schemaVersion: 1,
        id: timeOrderedId(at.getTime()),
        at: at.toISOString(),
        actor: { type: "operator", id: access.operatorId },
        action: access.action,
        resources: access.resources,
        ...(access.query === undefined ? {} : { query: access.query }),
        outcome: access.outcome,
        request: access.request,
      };
      try {
        await bus.publish(subjects.audit(record.action, "operator", access.operatorId), JSON.stringify(record), {
          msgId: record.id,
          contentType: "application/json",
          expectStream: streams.audit,
          timeoutMs: CONSOLE_AUDIT_TIMEOUT_MS,
        });
      } catch (error) {
        throw new ConsoleRequestError(
          503,
          CONSOLE_ERROR_CODES.auditUnavailable,
          "the access record could not be stored, so nothing is shown; try again",
          { cause: error },
        );
      }
      return record;
    },
  };
}

/** A UUIDv7 (time-ordered), as the gateway's request ids (services/gateway/src/request-id.ts). */
function timeOrderedId(now: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
