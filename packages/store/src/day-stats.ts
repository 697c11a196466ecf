import type { Envelope } from "@carehub/schemas";
import { MessageStatusFilter } from "@carehub/schemas";
import type { StoreKeys } from "./keys.ts";
import type { MessageState } from "./message-state.ts";
import { type StatFields, statFieldsOf, type WriteOp } from "./write-plan.ts";

/**
 * Day-bucketed counters (docs/decisions/0066): one small hash per UTC day, `<ns>:idx:stats:day:<YYYY-MM-DD>`,
 * holding the same `f|…`/`t|…` fields as `<ns>:idx:stats` for the messages received that day (moved as their
 * status moves, in the same script call as the record), plus `a|<sender>|<kind>|<analysis code>` for the
 * analyses of lab results and home-care observations. A message adds no key and no field of its own: only
 * counters of a hash shared by the day. Weeks and months are sums of days. Each day's hash expires with the
 * retention of the messages it counts.
 */

const DAY_MS = 86_400_000;
/** The longest range one read sums (a bit over a year: a month-by-month view of the retention). */
export const MAX_STAT_DAYS = 400;
/** Analysis codes longer than this, or with a `|`, are counted as `other` (the field must stay parseable). */
const MAX_CODE_LENGTH = 64;

export type StatPeriod = "day" | "week" | "month";

/** The UTC day (YYYY-MM-DD) of an epoch-ms time. */
export function statDay(at: number): string {
  // Nearly every write is about a message received today: the last day's name is kept, not formatted again.
  const start = at - (((at % DAY_MS) + DAY_MS) % DAY_MS);
  if (start !== lastDay.start) lastDay = { start, name: new Date(start).toISOString().slice(0, 10) };
  return lastDay.name;
}
let lastDay = { start: Number.NaN, name: "" };

/** The day a message is counted under: its receive time, else the first time the hub saw anything of it. */
function dayOf(state: MessageState): string {
  return statDay(state.receivedAt ?? state.firstSeen);
}

/** When a day's hash expires: the end of the day plus the retention (and the grace every read-model key has). */
export function statDayExpiry(day: string, keepMs: number): number {
  // The day statDay named last (nearly every write's) is not parsed again from its name.
  const start = day === lastDay.name ? lastDay.start : Date.parse(`${day}T00:00:00.000Z`);
  return start + DAY_MS + keepMs;
}

/**
 * The writes that move a message's day counters from `before` to `after` (same fields as the overall counters,
 * under the day it was received), with the day hash's expiry. `keepMs`: retention plus grace.
 */
export function dayStatOps(
  before: MessageState | undefined,
  after: MessageState | undefined,
  keys: StoreKeys,
  keepMs: number,
  stats: StatFields = statFieldsOf(before, after),
): WriteOp[] {
  const delta = new Map<string, Map<string, number>>();
  const count = (state: MessageState, stateFields: readonly string[], by: number) => {
    const day = dayOf(state);
    const fields = delta.get(day) ?? new Map<string, number>();
    delta.set(day, fields);
    for (const field of stateFields) fields.set(field, (fields.get(field) ?? 0) + by);
  };
  if (before !== undefined) count(before, stats.before, -1);
  if (after !== undefined) count(after, stats.after, 1);
  return opsOf(delta, keys, keepMs);
}

/**
 * The analysis counters a message adds on the day it was received: one per distinct analysis code of a lab
 * result, one per distinct observation code of a home-care observation (MedCom's statistics per analysis type).
 * Counted once, with the write that first folds the envelope in (a redelivered envelope changes no record).
 */
export function analysisStatOps(envelope: Envelope, state: MessageState, keys: StoreKeys, keepMs: number): WriteOp[] {
  const codes = analysisCodes(envelope);
  if (codes.length === 0) return [];
  const fields = new Map(codes.map((code) => [`a|${envelope.sourceEndpoint}|${envelope.kind}|${code}`, 1]));
  return opsOf(new Map([[dayOf(state), fields]]), keys, keepMs);
}

export function analysisCodes(envelope: Envelope): string[] {
  const content = envelope.content;
  const raw =
    content.kind === "lab-result"
      ? content.results.map((r) => r.analysisCode)
      : content.kind === "homecare-observation"
        ? content.observations.map((o) => o.code)
        : [];
  const safe = raw.map((code) => (code === "" || code.length > MAX_CODE_LENGTH || code.includes("|") ? "other" : code));
  return [...new Set(safe)].sort();
}

function opsOf(delta: Map<string, Map<string, number>>, keys: StoreKeys, keepMs: number): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const [day, fields] of delta) {
    const key = keys.statsDay(day);
    let touched = false;
    for (const [field, by] of fields) {
      if (by === 0) continue;
      ops.push({ op: "hincr", key, field, by });
      touched = true;
    }
    if (touched) ops.push({ op: "pexpireat", key, at: statDayExpiry(day, keepMs) });
  }
  return ops;
}

/** One row of the statistics: messages per endpoint (as sender or receiver), kind and status in a period. */
export interface PeriodMessageCount {
  period: string;
  endpoint: string;
  role: "sender" | "receiver";
  kind: string;
  status: string;
  count: number;
}

/** Analyses (lab analysis codes, home-care observation codes) per sender and kind in a period. */
export interface PeriodAnalysisCount {
  period: string;
  sender: string;
  kind: string;
  code: string;
  count: number;
}

export interface PeriodStats {
  period: StatPeriod;
  from: string;
  to: string;
  /** Every period of the range, oldest first (also those with nothing counted). */
  periods: string[];
  messages: PeriodMessageCount[];
  analyses: PeriodAnalysisCount[];
}

/** The days from `from` to `to` (YYYY-MM-DD, inclusive); throws RangeError past MAX_STAT_DAYS or when reversed. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00.000Z`);
  const end = Date.parse(`${to}T00:00:00.000Z`);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw new RangeError("not a range of days");
  const n = Math.round((end - start) / DAY_MS) + 1;
  if (n > MAX_STAT_DAYS) throw new RangeError(`at most ${MAX_STAT_DAYS} days`);
  return Array.from({ length: n }, (_, i) => statDay(start + i * DAY_MS));
}

/** The period a day belongs to: the day, the Monday starting its ISO week, or its month (YYYY-MM). */
export function periodOf(day: string, period: StatPeriod): string {
  if (period === "day") return day;
  if (period === "month") return day.slice(0, 7);
  const at = Date.parse(`${day}T00:00:00.000Z`);
  const weekday = (new Date(at).getUTCDay() + 6) % 7; // Monday 0
  return statDay(at - weekday * DAY_MS);
}

/** Sums the day hashes (in the order of `days`) into periods. */
export function sumDayStats(
  days: readonly string[],
  hashes: readonly Record<string, string>[],
  period: StatPeriod,
): PeriodStats {
  const messages = new Map<string, PeriodMessageCount>();
  const analyses = new Map<string, PeriodAnalysisCount>();
  const periods: string[] = [];
  days.forEach((day, i) => {
    const bucket = periodOf(day, period);
    if (periods.at(-1) !== bucket) periods.push(bucket);
    for (const [field, value] of Object.entries(hashes[i] ?? {})) {
      const count = Number(value);
      if (!Number.isInteger(count) || count <= 0) continue;
      const parts = field.split("|");
      const [role, endpoint, kind, last] = parts;
      if (parts.length !== 4 || endpoint === undefined || kind === undefined || last === undefined) continue;
      const id = `${bucket}|${field}`;
      if (role === "a") {
        const row = analyses.get(id) ?? { period: bucket, sender: endpoint, kind, code: last, count: 0 };
        row.count += count;
        analyses.set(id, row);
      } else if ((role === "f" || role === "t") && MessageStatusFilter.safeParse(last).success) {
        const row = messages.get(id) ?? {
          period: bucket,
          endpoint,
          role: role === "f" ? ("sender" as const) : ("receiver" as const),
          kind,
          status: last,
          count: 0,
        };
        row.count += count;
        messages.set(id, row);
      }
    }
  });
  const order = (a: { period: string }, b: { period: string }) => a.period.localeCompare(b.period);
  return {
    period,
    from: days[0] ?? "",
    to: days.at(-1) ?? "",
    periods,
    messages: [...messages.values()].sort(
      (a, b) =>
        order(a, b) ||
        a.endpoint.localeCompare(b.endpoint) ||
        a.role.localeCompare(b.role) ||
        a.kind.localeCompare(b.kind) ||
        a.status.localeCompare(b.status),
    ),
    analyses: [...analyses.values()].sort(
      (a, b) =>
        order(a, b) || a.sender.localeCompare(b.sender) || a.kind.localeCompare(b.kind) || a.code.localeCompare(b.code),
    ),
  };
}
