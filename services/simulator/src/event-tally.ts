import { type LifecycleEvent, marksArrival } from "@carehub/schemas";

/** The per-kind columns of the live summary, in the order a message lives them. */
export const TALLY_COLUMNS = [
  "received",
  "rejected",
  "duplicate",
  "routed",
  "delivered",
  "retries",
  "dead-lettered",
  "acked",
  "nacked",
  "ack-overdue",
] as const;
export type TallyColumn = (typeof TALLY_COLUMNS)[number];

/** Counts of the hub's lifecycle events: what the demo's live summary shows. No patient data in here. */
export interface EventTally {
  events: number;
  byKind: Record<string, Record<TallyColumn, number>>;
  totals: Record<TallyColumn, number>;
  /** The current business status of each referral / task, by subject id (last status-changed wins). */
  referrals: Map<string, string>;
  tasks: Map<string, string>;
  refusedTransitions: number;
  /** The kind of each recent message by hub id, to count acknowledgements under the kind they answer. */
  kindOfHubId: Map<string, string>;
}

/** How many hub ids the tally remembers the kind of (acknowledgements arrive within minutes). */
const REMEMBERED_KINDS = 200_000;

export function emptyTally(): EventTally {
  return {
    events: 0,
    byKind: {},
    totals: zeroRow(),
    referrals: new Map(),
    tasks: new Map(),
    refusedTransitions: 0,
    kindOfHubId: new Map(),
  };
}

function zeroRow(): Record<TallyColumn, number> {
  return Object.fromEntries(TALLY_COLUMNS.map((c) => [c, 0])) as Record<TallyColumn, number>;
}

function columnOf(event: LifecycleEvent): TallyColumn | undefined {
  switch (event.type) {
    case "rejected":
    case "duplicate":
    case "routed":
    case "delivered":
    case "dead-lettered":
    case "ack-overdue":
      return event.type;
    case "delivery-failed":
      return "retries";
    case "acknowledged":
      return event.code === "ok" ? "acked" : "nacked";
    case "received": // the `received` column counts arrivals (marksArrival): a routed message has no such event
    case "status-changed":
    case "transition-refused":
    case "unmatched-status":
    case "stale":
    case "replayed":
    case "translated":
      return undefined;
  }
}

/** Folds one event into the tally. Acknowledgements are counted under the kind they acknowledge. */
export function tallyEvent(tally: EventTally, event: LifecycleEvent): void {
  tally.events++;
  if (event.type === "status-changed") {
    if (event.subject.type === "referral") tally.referrals.set(event.subject.id, event.to);
    if (event.subject.type === "task") tally.tasks.set(event.subject.id, event.to);
    return;
  }
  if (event.type === "transition-refused") {
    tally.refusedTransitions++;
    return;
  }
  const column = columnOf(event);
  const arrival = marksArrival(event);
  if (column === undefined && !arrival) return;
  if (event.kind !== undefined && arrival) {
    tally.kindOfHubId.set(event.hubId, event.kind);
    if (tally.kindOfHubId.size > REMEMBERED_KINDS) {
      const oldest = tally.kindOfHubId.keys().next();
      if (oldest.done !== true) tally.kindOfHubId.delete(oldest.value);
    }
  }
  const kind = event.kind ?? tally.kindOfHubId.get(event.hubId) ?? "unknown";
  tally.byKind[kind] ??= zeroRow();
  const row = tally.byKind[kind];
  for (const counted of arrival ? ["received" as const, column] : [column]) {
    if (counted === undefined) continue;
    row[counted]++;
    tally.totals[counted]++;
  }
}

/** How many subjects are in each status. */
export function statusCounts(subjects: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of subjects.values()) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
