// FHIR R4 dateTime / instant, and whether a time of day carries its zone (MedCom requires it).
const DATE_TIME =
  /^[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01])(?<time>T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]{1,9})?(?<zone>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?)?)?$/;

export type DateTimeCheck = "ok" | "invalid" | "no-zone";

/** Checks a FHIR dateTime; with `requireTime`, also that it has a time of day (an instant). */
export function checkDateTime(value: string, requireTime = false): DateTimeCheck {
  const m = DATE_TIME.exec(value);
  if (m === null) return "invalid";
  if (m.groups?.time === undefined) return requireTime ? "invalid" : "ok";
  return m.groups.zone === undefined ? "no-zone" : "ok";
}
