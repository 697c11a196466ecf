import { type Bus, connectHubBus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import { type AuditAction, AuditRecord, type HubConfig } from "@carehub/schemas";
import { DeliverPolicy } from "@nats-io/jetstream";
import { parseStreamJson } from "./cli-output.ts";

/** What `carehub audit` selects (docs/runbook.md "Who read this patient's referral?"). */
export interface AuditSelection {
  /** Records stored at or after this time; default: from the first one kept. */
  since?: Date;
  /** Registry id of the operator or endpoint (ids are unique across both). */
  actor?: string;
  action?: AuditAction;
  /** A hub id, referral id or task id the request asked for or was shown. */
  resource?: string;
  /** At most this many records (the oldest that match). */
  limit?: number;
}

/**
 * Reads the AUDIT stream oldest first with an ordered consumer filtered on the server by action and actor (the
 * record subject is `<ns>.audit.<action>.<actor type>.<actor id>`), and by time with a start time; the resource
 * is matched here. Stops at the last record stored when the read began, so it always ends.
 */
export async function readAuditRecords(
  bus: Bus,
  selection: AuditSelection,
  onRecord: (record: AuditRecord) => void,
  /** A stored message that is not an AuditRecord (written by hand, or by another version): reported, not printed. */
  onUnreadable: (seq: number) => void = () => {},
): Promise<number> {
  const limit = selection.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) return 0;
  const consumer = await bus.js.consumers.get(bus.topology.streams.audit, {
    // One filter subject (not filter_subjects): nats-server 2.9 is supported.
    filter_subjects: bus.topology.subjects.auditFilter({
      ...(selection.action === undefined ? {} : { action: selection.action }),
      ...(selection.actor === undefined ? {} : { actorId: selection.actor }),
    }),
    ...(selection.since === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: selection.since.toISOString() }),
  });
  if ((await consumer.info()).num_pending === 0) return 0;
  const messages = await consumer.consume({ max_messages: 500 });
  let printed = 0;
  try {
    for await (const msg of messages) {
      const record = AuditRecord.safeParse(parseStreamJson(msg.data));
      if (!record.success) onUnreadable(msg.seq);
      else if (matchesResource(record.data, selection.resource)) {
        onRecord(record.data);
        printed++;
      }
      if (printed >= limit || msg.info.pending === 0) break;
    }
  } finally {
    await messages.close();
  }
  return printed;
}

function matchesResource(record: AuditRecord, resource: string | undefined): boolean {
  return resource === undefined || record.resources.some((r) => r.id === resource);
}

export interface AuditCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** How a record is printed (the CLI: a human line, or JSON with --json); default one JSON line on stdout. */
  print?: (record: AuditRecord) => void;
}

/** `carehub audit …`: one line per record on stdout. */
export async function runAuditCommand(
  selection: AuditSelection,
  config: HubConfig,
  logger: Logger,
  io: AuditCommandIo,
): Promise<number> {
  const bus = await connectHubBus(config, { name: "carehub-audit", logger });
  try {
    await readAuditRecords(
      bus,
      selection,
      io.print ?? ((record) => io.stdout.write(`${JSON.stringify(record)}\n`)),
      (seq) =>
        io.stderr.write(`carehub: ${bus.topology.streams.audit} message ${seq} is not an access record; skipped\n`),
    );
    return 0;
  } finally {
    await bus.drain();
  }
}
