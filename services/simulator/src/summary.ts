import { type EventTally, statusCounts, TALLY_COLUMNS } from "./event-tally.ts";
import type { SimulationStats } from "./stats.ts";

export interface SummaryInput {
  title: string;
  elapsedMs: number;
  tally: EventTally;
  simulation: SimulationStats;
  /** Lines about where to look, printed under the title. */
  pointers: string[];
}

const REFERRAL_ORDER = ["sent", "received", "booked", "rescheduled", "completed", "no-show", "cancelled", "deleted"];
const TASK_ORDER = ["requested", "received", "accepted", "rejected", "in-progress", "completed", "cancelled"];

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => n.toString().padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function ordered(counts: Record<string, number>, order: string[]): string {
  const keys = [
    ...order.filter((k) => counts[k] !== undefined),
    ...Object.keys(counts).filter((k) => !order.includes(k)),
  ];
  return keys.length === 0 ? "–" : keys.map((k) => `${k} ${counts[k]}`).join(" · ");
}

/** The demo's live summary as plain text lines (the caller decides whether to redraw or append). */
export function renderSummary(input: SummaryInput): string[] {
  const { tally, simulation: sim } = input;
  const width = 22;
  const cell = (column: string, value: string) => value.padStart(Math.max(9, column.length) + 2);
  const header = `${"kind".padEnd(width)}${TALLY_COLUMNS.map((c) => cell(c, c)).join("")}`;
  const rows = Object.keys(tally.byKind)
    .sort()
    .map((kind) => {
      const row = tally.byKind[kind];
      return `${kind.padEnd(width)}${TALLY_COLUMNS.map((c) => cell(c, String(row?.[c] ?? 0))).join("")}`;
    });
  const totals = `${"all".padEnd(width)}${TALLY_COLUMNS.map((c) => cell(c, String(tally.totals[c]))).join("")}`;
  const acks = (r: Record<string, number>) =>
    `ok ${r.ok ?? 0} / transient ${r["transient-error"] ?? 0} / fatal ${r["fatal-error"] ?? 0}`;
  return [
    `${input.title} — running ${clock(input.elapsedMs)} (Ctrl-C stops)`,
    ...input.pointers,
    "",
    "hub: messages by kind and status (from lifecycle events)",
    header,
    ...rows,
    totals,
    "",
    `referrals: ${ordered(statusCounts(tally.referrals), REFERRAL_ORDER)}`,
    `tasks:     ${ordered(statusCounts(tally.tasks), TASK_ORDER)}`,
    ...(tally.refusedTransitions > 0 ? [`refused status transitions: ${tally.refusedTransitions}`] : []),
    "",
    `endpoints: planned ${sim.planned} · sent ${sim.sent} · status updates ${sim.statusUpdatesSent} · invalid sent ${sim.invalidSent} · duplicates sent ${sim.duplicatesSent} · resends ${sim.resends} · gave up ${sim.gaveUp} · behind ${sim.behind}`,
    `           received ${sim.received} · duplicates dropped ${sim.duplicatesDropped} · refused while down ${sim.refusedWhileDown} · refused outright ${sim.refusedOnPurpose} · left unacknowledged ${sim.unacknowledgedOnPurpose} · refused as forged ${sim.forgedRefused}`,
    `           acks sent ${acks(sim.acksSent)} · acks received ${acks(sim.acksReceived)}`,
    ...(Object.keys(sim.sendErrors).length > 0
      ? [
          `           send errors: ${Object.entries(sim.sendErrors)
            .map(([code, n]) => `${code} ${n}`)
            .join(" · ")}`,
        ]
      : []),
  ];
}
