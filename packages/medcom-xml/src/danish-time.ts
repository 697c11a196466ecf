/**
 * OIOXML dates and times are Danish local time without an offset. The hub works in ISO 8601 instants, so
 * the Europe/Copenhagen offset is computed from the EU summer-time rule (last Sunday of March 01:00 UTC to
 * last Sunday of October 01:00 UTC), which is pure and needs no time-zone database.
 */

function lastSundayUtc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay(), 1);
}

/** Offset of Danish local time from UTC, in minutes, at a UTC instant. */
export function copenhagenOffsetMinutes(utcMillis: number): number {
  const year = new Date(utcMillis).getUTCFullYear();
  const summer = utcMillis >= lastSundayUtc(year, 2) && utcMillis < lastSundayUtc(year, 9);
  return summer ? 120 : 60;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** "2011-09-20" + "12:47" (Danish local) → "2011-09-20T12:47:00+02:00". Inputs must already be valid. */
export function localDateTimeToIso(date: string, time: string | undefined): string {
  const [hh = "00", mm = "00", ss = "00"] = (time ?? "00:00").split(":");
  const localAsUtc = Date.parse(`${date}T${hh}:${mm}:${ss}Z`);
  // The offset at the local wall-clock time read as UTC is right except within the hour of a switch.
  let offset = copenhagenOffsetMinutes(localAsUtc - 60 * 60_000);
  offset = copenhagenOffsetMinutes(localAsUtc - offset * 60_000);
  const sign = offset >= 0 ? "+" : "-";
  return `${date}T${hh}:${mm}:${ss}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** A moment → Danish local { date: "YYYY-MM-DD", time: "hh:mm" }. */
export function toDanishLocal(moment: Date | string): { date: string; time: string } {
  const millis = typeof moment === "string" ? Date.parse(moment) : moment.getTime();
  if (Number.isNaN(millis)) throw new RangeError("not a valid date-time");
  const local = new Date(millis + copenhagenOffsetMinutes(millis) * 60_000);
  return {
    date: `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`,
    time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
  };
}
