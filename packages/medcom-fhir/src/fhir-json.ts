/**
 * FHIR JSON as plain data, and accessors that never throw on input of the wrong shape: every field read
 * from a received message goes through these, so a hostile or mangled message yields `undefined`, not a crash.
 */
export type FhirObject = { [key: string]: unknown };
export interface FhirResource extends FhirObject {
  resourceType: string;
  id?: string;
}
export interface FhirBundle extends FhirResource {
  resourceType: "Bundle";
  entry?: Array<{ fullUrl?: string; resource: FhirResource }>;
}

export function isObject(value: unknown): value is FhirObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function obj(value: unknown, key: string): FhirObject | undefined {
  if (!isObject(value)) return undefined;
  const v = value[key];
  return isObject(v) ? v : undefined;
}

export function str(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const v = value[key];
  return typeof v === "string" ? v : undefined;
}

export function bool(value: unknown, key: string): boolean | undefined {
  if (!isObject(value)) return undefined;
  const v = value[key];
  return typeof v === "boolean" ? v : undefined;
}

/** The array at `key`, or [] when absent; a lone object where an array belongs counts as a one-element array. */
export function arr(value: unknown, key: string): unknown[] {
  if (!isObject(value)) return [];
  const v = value[key];
  if (Array.isArray(v)) return v;
  return v === undefined || v === null ? [] : [v];
}

/** The objects in the array at `key`, each with its index in that array. */
export function objects(value: unknown, key: string): Array<{ value: FhirObject; index: number }> {
  const out: Array<{ value: FhirObject; index: number }> = [];
  const items = arr(value, key);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (isObject(item)) out.push({ value: item, index: i });
  }
  return out;
}

/** The first coding of a CodeableConcept (or of a list of them) whose system is in `systems`, else the first coding. */
export function codings(concept: unknown): FhirObject[] {
  return objects(concept, "coding").map((c) => c.value);
}

export function firstCode(concept: unknown, system?: string): string | undefined {
  for (const coding of codings(concept)) {
    if (system === undefined || str(coding, "system") === system) {
      const code = str(coding, "code");
      if (code !== undefined) return code;
    }
  }
  return undefined;
}
