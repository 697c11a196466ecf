import { scrubText } from "./patient-data.ts";

/**
 * Label values are a last line of defence, like span attributes: callers pass only bounded values (stage,
 * kind, stream, consumer, registry endpoint id, error code), but a value is still scrubbed of CPR numbers
 * and cut short here, so a mistake can never put a patient identifier on `/metrics` or grow the series
 * count with free text.
 */
const MAX_LABEL_LENGTH = 64;
const ERROR_CODE = /^CAREHUB_ERR_[A-Z0-9_]{1,64}$/;

/** A label value safe to export: CPR numbers scrubbed, at most 64 characters, never empty. */
export function labelValue(value: string): string {
  const scrubbed = scrubText(value).slice(0, MAX_LABEL_LENGTH);
  return scrubbed === "" ? "unknown" : scrubbed;
}

/** An error code as a label: a `CAREHUB_ERR_…` code as it is, anything else `other` (the catalogue bounds them). */
export function errorCodeLabel(code: string): string {
  return ERROR_CODE.test(code) ? code : "other";
}
