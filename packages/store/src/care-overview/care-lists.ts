import type { BusinessStatus, CareItem, CareListName } from "@carehub/schemas";
import type { CareItemRecord } from "./care-item.ts";

/** Received, not yet planned or booked. */
const WAITING: readonly BusinessStatus[] = ["sent", "requested", "received", "accepted"];
/** A time agreed, no outcome (completed, not attended, cancelled) reported yet. */
const BOOKED: readonly BusinessStatus[] = ["booked", "rescheduled"];

/**
 * Whether a referral or task (with its appointments) is on a worklist at `now` (epoch ms):
 * - `not-booked`: still waiting (sent, requested, received or accepted) and first stated at or before `waitingSince`;
 * - `past-window`: planned, and its expected window ended before now (a window without an end: its start);
 * - `booked-no-outcome`: it or one of its appointments is booked (or rescheduled) for a time before now and no
 *   outcome has been reported since.
 * Pure: the clock is the caller's.
 */
export function onCareList(
  list: CareListName,
  record: CareItemRecord,
  appointments: readonly CareItemRecord[],
  waitingSince: number,
  now: number,
): boolean {
  const item = record.item;
  switch (list) {
    case "not-booked":
      return item.status !== null && WAITING.includes(item.status) && record.firstAt <= waitingSince;
    case "past-window": {
      const window = item.status === "planned" ? item.plannedWindow : undefined;
      return window !== undefined && before(window.end ?? window.start, now);
    }
    case "booked-no-outcome":
      return [item, ...appointments.map((a) => a.item)].some(bookedBefore(now));
  }
}

function bookedBefore(now: number): (item: CareItem) => boolean {
  return (item) => item.status !== null && BOOKED.includes(item.status) && before(item.when?.start, now);
}

function before(time: string | undefined, now: number): boolean {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  return !Number.isNaN(at) && at < now;
}
