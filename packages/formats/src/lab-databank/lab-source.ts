import type { Party } from "@carehub/schemas";

/** A FHIR resource or element as plain JSON (the bundle passed intake's validation before it gets here). */
export type Json = Record<string, unknown>;

/** What the hub supplies itself: nothing of it comes from the message. */
export interface TranslationContext {
  ids: { envelopeId: string; letterId: string };
  now: Date;
  /** The producing practice as the registry knows the authenticated sender (GLN, ydernummer, name). */
  producer: Party;
  /** The databank endpoint the letter is for, from the registry. */
  databank: Party;
}

/** One FHIR lab result, its references resolved: what the letter rows read. */
export interface LetterSource {
  context: TranslationContext;
  report: Json;
  patient: Json | undefined;
  specimen: Json | undefined;
  /** The Provenance activity of this message (new-message, modified-message, retract-message). */
  activity: string | undefined;
}

/** One Observation the sender produced itself: what the result rows read. */
export interface ResultSource {
  context: TranslationContext;
  observation: Json;
}

export function isJson(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value[key]` when it is an object. */
export function child(value: unknown, key: string): Json | undefined {
  const v = isJson(value) ? value[key] : undefined;
  return isJson(v) ? v : undefined;
}

/** `value[key]` as a list of objects. */
export function children(value: unknown, key: string): Json[] {
  const v = isJson(value) ? value[key] : undefined;
  return Array.isArray(v) ? v.filter(isJson) : [];
}

/** `value[key]` as text (numbers and booleans as written). */
export function text(value: unknown, key: string): string | undefined {
  const v = isJson(value) ? value[key] : undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** The first coding of a CodeableConcept in `system` (any system when not given). */
export function coding(concept: unknown, system?: string): Json | undefined {
  return children(concept, "coding").find((c) => system === undefined || text(c, "system") === system);
}

/** The value of the first identifier in `system` (any when not given). */
export function identifierValue(resource: unknown, system?: string): string | undefined {
  const found = children(resource, "identifier").find((i) => system === undefined || text(i, "system") === system);
  return text(found, "value");
}
