import { type Bus, connectHubBus, HEADER } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import type { HubConfig } from "@carehub/schemas";
import { table } from "./cli-output.ts";

/** One dead letter as `carehub dlq list` shows it: where it died and why, by code (never the payload). */
export interface DeadLetterRow {
  seq: number;
  at: string;
  stage: string | null;
  hubId: string | null;
  kind: string | null;
  /** The subject it died on, e.g. `<ns>.outbox.<endpoint>`. */
  originalSubject: string | null;
  errorCode: string | null;
  attempts: number | null;
  redriveCount: number;
}

export interface DlqSelection {
  stage?: string;
  /** Only deliveries to this endpoint (they died on its OUTBOX subject). */
  endpoint?: string;
  limit?: number;
}

/**
 * Reads the DLQ stream oldest first, message by message on the server's subject index (`next_by_subj`, as
 * redrive does), so it stops at the last dead letter and never leaves a consumer behind.
 */
export async function listDeadLetters(bus: Bus, selection: DlqSelection): Promise<DeadLetterRow[]> {
  const stream = bus.topology.streams.dlq;
  const subject =
    selection.stage === undefined ? bus.topology.subjects.all.dlq : bus.topology.subjects.dlq(selection.stage);
  const outbox = selection.endpoint === undefined ? undefined : bus.topology.subjects.outbox(selection.endpoint);
  const limit = selection.limit ?? Number.POSITIVE_INFINITY;
  const rows: DeadLetterRow[] = [];
  let seq = 1;
  while (rows.length < limit) {
    const found = await bus.jsm.streams.getMessage(stream, { next_by_subj: subject, seq } as unknown as {
      seq: number;
    });
    if (found === null) break;
    seq = found.seq + 1;
    const header = (name: string): string | null => found.header?.get(name) || null;
    if (outbox !== undefined && header(HEADER.originalSubject) !== outbox) continue;
    const attempts = header(HEADER.attempts);
    rows.push({
      seq: found.seq,
      at: found.time.toISOString(),
      stage: header(HEADER.stage),
      hubId: header(HEADER.hubId),
      kind: header(HEADER.kind),
      originalSubject: header(HEADER.originalSubject),
      errorCode: header(HEADER.errorCode),
      attempts: attempts === null ? null : Number(attempts),
      redriveCount: Number(header(HEADER.redriveCount) ?? 0),
    });
  }
  return rows;
}

/** `carehub dlq list`: a table of dead letters (with --json a JSON line each). */
export async function runDlqList(
  selection: DlqSelection,
  config: HubConfig,
  logger: Logger,
  io: { json: boolean; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const bus = await connectHubBus(config, { name: "carehub-dlq", logger });
  try {
    const rows = await listDeadLetters(bus, selection);
    if (io.json) {
      for (const row of rows) io.stdout.write(`${JSON.stringify(row)}\n`);
      return 0;
    }
    const cells = rows.map((r) => [
      String(r.seq),
      r.at,
      r.stage ?? "-",
      r.hubId ?? "-",
      r.kind ?? "-",
      r.errorCode ?? "-",
      r.attempts === null ? "-" : String(r.attempts),
      r.originalSubject ?? "-",
    ]);
    io.stdout.write(`${table(["SEQ", "AT", "STAGE", "HUB ID", "KIND", "ERROR", "ATTEMPTS", "SUBJECT"], cells)}\n`);
    io.stderr.write(`carehub dlq: ${rows.length} dead letter(s)\n`);
    return 0;
  } finally {
    await bus.drain();
  }
}
