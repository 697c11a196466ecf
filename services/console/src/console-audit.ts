import { type Bus, publishAuditRecord } from "@carehub/bus";
import { timeOrderedId } from "@carehub/observability";
import type { AuditAction, AuditQuery, AuditRecord, AuditResource } from "@carehub/schemas";
import { CONSOLE_ERROR_CODES, ConsoleRequestError } from "./console-errors.ts";

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
 * Access records on the AUDIT stream through the one writer of them (`publishAuditRecord`, packages/bus), the
 * same as the gateway's query API: actor the signed-in operator, a time-ordered id.
 */
export function consoleAuditTrail(bus: Bus, clock: () => Date = () => new Date()): ConsoleAuditTrail {
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
        await publishAuditRecord(bus, record);
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
