import type { AuditRecord } from "@carehub/schemas";
import type { Bus } from "./bus.ts";
import { NATS_REQUEST_TIMEOUT_MS } from "./publish-acks.ts";

/**
 * Stores one access record on the AUDIT stream (docs/decisions/0012): subject
 * `<ns>.audit.<action>.<actor type>.<actor id>` (`_` for an anonymous caller), the record's id as dedup id, and
 * stored by the AUDIT stream itself (`expectStream`), so a record never lands anywhere else unnoticed. The one
 * writer of access records: the gateway's query API and the console both call it. Rejects when not stored.
 */
export async function publishAuditRecord(
  bus: Bus,
  record: AuditRecord,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const { subjects, streams } = bus.topology;
  const actorId = record.actor.type === "anonymous" ? "_" : record.actor.id;
  await bus.publish(subjects.audit(record.action, record.actor.type, actorId), JSON.stringify(record), {
    msgId: record.id,
    contentType: "application/json",
    expectStream: streams.audit,
    // How long an access record may take to be stored before the read it guards is refused (503, fail closed):
    // nats.js's request timeout, not the bus's longer publish default.
    timeoutMs: options.timeoutMs ?? NATS_REQUEST_TIMEOUT_MS,
  });
}
