/**
 * Patient-identifier scrubbing shared by the logger, error texts in events and DLQ headers.
 *
 * A CPR number is `DDMMYY[-]NNNN` with a plausible day (01-31) and month (01-12). We match it anywhere
 * in a text except inside a longer run of digits, so sequence numbers and timestamps stay readable.
 */
const CPR_PATTERN = /(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)/g;

export const CPR_REPLACEMENT = "[CPR]";
export const REDACTED = "[REDACTED]";

/** Keys whose value is a patient identifier (or the whole patient) and is dropped wholesale. */
const PATIENT_KEYS = new Set([
  "cpr",
  "cprnr",
  "cprnumber",
  "civilregistrationnumber",
  "personalidentifier",
  "personnummer",
  "patient",
  "patientid",
  "patientidentifier",
  "ssn",
]);

const MAX_DEPTH = 12;

/** True when a property name says its value identifies a patient (`cpr`, `patientId`, `civil_registration_number`…). */
export function isPatientKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_\s]/g, "");
  return PATIENT_KEYS.has(normalized) || normalized.includes("cpr");
}

/** Replaces every CPR number in a text by `[CPR]`. */
export function scrubText(text: string): string {
  // Cheap pre-check: most log texts have no six-digit run at all.
  if (!/\d{6}/.test(text)) return text;
  return text.replace(CPR_PATTERN, CPR_REPLACEMENT);
}

/**
 * A deep copy of `value` with CPR numbers scrubbed from every string and patient-identifying keys
 * redacted. Errors stay Errors (same name, scrubbed message, stack and own properties, scrubbed cause),
 * so loggers still serialise them as errors. Cycles and very deep structures are cut, never followed.
 */
export function redactPatientData(value: unknown): unknown {
  return redact(value, 0, new WeakMap());
}

function redact(value: unknown, depth: number, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object") return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (depth >= MAX_DEPTH) return "[Truncated]";
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redact(item, depth + 1, seen));
    return copy;
  }
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (value instanceof Map) {
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [k, v] of value) copy[String(k)] = isPatientKey(String(k)) ? REDACTED : redact(v, depth + 1, seen);
    return copy;
  }
  if (value instanceof Set) return redact([...value], depth, seen);
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    copy[scrubText(key)] = isPatientKey(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  // toJSON-style objects (e.g. class instances with getters) are flattened to their own enumerable data.
  return copy;
}

function redactError(error: Error, depth: number, seen: WeakMap<object, unknown>): Error {
  const copy = new Error(scrubText(error.message));
  seen.set(error, copy);
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : scrubText(error.stack);
  for (const [key, item] of Object.entries(error)) {
    (copy as unknown as Record<string, unknown>)[key] = isPatientKey(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  if (error.cause !== undefined) copy.cause = redact(error.cause, depth + 1, seen);
  if (error instanceof AggregateError) {
    (copy as unknown as Record<string, unknown>).errors = redact(error.errors, depth + 1, seen);
  }
  return copy;
}
