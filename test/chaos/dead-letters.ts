/**
 * The run's dead letters as the DLQ stream's headers tell them (stage, reason code, attempts, the original's
 * stream and sequence): printed beside a failing scenario, so a loss names where and why without a second run.
 */
import { type Bus, HEADER, headersToRecord } from "@carehub/bus";

export interface DeadLetterLine {
  seq: number;
  stage: string;
  code: string;
  attempts: string;
  original: string;
  hubId: string;
  error: string;
}

/** Every dead letter stored on the DLQ stream from sequence `from` on (all when left out). */
export async function readDeadLetters(bus: Bus, from = 1): Promise<DeadLetterLine[]> {
  const stream = bus.topology.streams.dlq;
  const info = await bus.jsm.streams.info(stream);
  const lines: DeadLetterLine[] = [];
  for (let seq = Math.max(from, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const stored = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (stored === null) continue;
    const h = headersToRecord(stored.header);
    lines.push({
      seq,
      stage: h[HEADER.stage] ?? "?",
      code: h[HEADER.errorCode] ?? "?",
      attempts: h[HEADER.attempts] ?? "?",
      original: `${h[HEADER.originalStream] ?? "?"}:${h[HEADER.originalSeq] ?? "?"}`,
      hubId: h[HEADER.hubId] ?? "",
      error: (h[HEADER.errorMessage] ?? "").slice(0, 160),
    });
  }
  return lines;
}

/** The dead letters by stage and code, then one line each (at most `limit`). */
export function describeDeadLetters(lines: readonly DeadLetterLine[], limit = 60): string {
  if (lines.length === 0) return "dead letters: none";
  const byReason = new Map<string, number>();
  for (const l of lines) byReason.set(`${l.stage} ${l.code}`, (byReason.get(`${l.stage} ${l.code}`) ?? 0) + 1);
  const summary = [...byReason].map(([reason, n]) => `${n}× ${reason}`).join(", ");
  const each = lines
    .slice(0, limit)
    .map(
      (l) => `  dlq#${l.seq} ${l.stage} ${l.code} attempts=${l.attempts} from ${l.original} ${l.hubId} — ${l.error}`,
    );
  const more = lines.length > limit ? [`  … ${lines.length - limit} more`] : [];
  return [`dead letters (${lines.length}): ${summary}`, ...each, ...more].join("\n");
}
