import type { IssueSink } from "../issues.ts";
import { checkDateTime } from "../read/date-time.ts";

/**
 * Reports a dateTime that is not valid FHIR. Returns the value when it is usable. A missing time zone is
 * reported once for the whole Bundle by reportZonelessTimes.
 */
export function checkTime(
  value: string | undefined,
  path: string,
  what: string,
  issues: IssueSink,
): string | undefined {
  if (value === undefined) return undefined;
  const check = checkDateTime(value);
  if (check === "invalid") {
    issues.error("CAREHUB_ERR_FHIR_DATETIME_INVALID", path, `${what} is not a valid FHIR dateTime`);
    return undefined;
  }
  return value;
}
