import type { SensitiveValues } from "./sensitive-values.ts";

/** What free text becomes: short, plain, obviously not the original. */
export const ANONYMISED_TEXT = "Anonymised text.";
export const ANONYMISED_NARRATIVE = `<div xmlns="http://www.w3.org/1999/xhtml"><p>${ANONYMISED_TEXT}</p></div>`;
const ANONYMISED_ATTACHMENT = Buffer.from(ANONYMISED_TEXT).toString("base64");

/** FHIR elements holding free text, replaced whole wherever they occur. */
// Not Observation.valueString: MedCom caps it at 12 characters (a short result, not a note); names and numbers in
// it are still replaced like everywhere else.
const FREE_TEXT_KEYS = new Set(["contentString", "conclusion", "comment"]);
/** Resources that describe a person: their identifiers, names, addresses and telecoms are collected. */
const PERSON_RESOURCES = new Set(["Patient", "RelatedPerson", "Practitioner", "Person"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Walks a FHIR JSON Bundle: collects the personal values of person resources into `found` (patient identifiers
 * of Patient and RelatedPerson only: a practitioner's authorisation id is not personal data of the patient) and
 * replaces free text in place (narratives, communication payloads, notes, comments, attachments). Returns the
 * tree; the caller replaces the collected values everywhere in the serialised text.
 */
export function walkFhirJson(node: Json, found: SensitiveValues, resourceType?: string): Json {
  if (Array.isArray(node)) return node.map((item) => walkFhirJson(item, found, resourceType));
  if (node === null || typeof node !== "object") return node;
  const type = typeof node.resourceType === "string" ? node.resourceType : resourceType;
  if (typeof node.resourceType === "string" && PERSON_RESOURCES.has(node.resourceType)) collectPerson(node, found);
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "div" && typeof value === "string" && typeof node.status === "string") out[key] = ANONYMISED_NARRATIVE;
    else if (FREE_TEXT_KEYS.has(key) && typeof value === "string") out[key] = ANONYMISED_TEXT;
    else if (key === "note" && Array.isArray(value)) out[key] = value.map(anonymiseAnnotation);
    else if (key === "contentAttachment" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out[key] = anonymiseAttachment(value);
    } else out[key] = walkFhirJson(value, found, type);
  }
  return out;
}

function collectPerson(resource: { [key: string]: Json }, found: SensitiveValues): void {
  const isPatient = resource.resourceType === "Patient" || resource.resourceType === "RelatedPerson";
  for (const identifier of objects(resource.identifier)) if (isPatient) found.add(found.patientIds, identifier.value);
  for (const name of objects(resource.name)) {
    found.addName(str(name.family));
    found.addName(str(name.text));
    for (const given of strings(name.given)) found.addName(given);
  }
  for (const address of objects(resource.address)) {
    for (const line of strings(address.line)) found.add(found.addresses, line);
    for (const part of ["city", "district", "text"]) found.add(found.addresses, address[part]);
  }
  for (const telecom of objects(resource.telecom)) {
    found.add(telecom.system === "email" ? found.emails : found.phones, telecom.value);
  }
}

function anonymiseAnnotation(note: Json): Json {
  if (note === null || typeof note !== "object" || Array.isArray(note)) return note;
  return { ...note, ...(typeof note.text === "string" ? { text: ANONYMISED_TEXT } : {}) };
}

function anonymiseAttachment(attachment: { [key: string]: Json }): Json {
  const { hash: _hash, size: _size, ...rest } = attachment;
  return {
    ...rest,
    ...(typeof rest.data === "string" ? { data: ANONYMISED_ATTACHMENT } : {}),
    ...(typeof rest.title === "string" ? { title: ANONYMISED_TEXT } : {}),
  };
}

function objects(value: Json | undefined): Array<{ [key: string]: Json }> {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is { [key: string]: Json } => v !== null && typeof v === "object" && !Array.isArray(v));
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function str(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export type { Json };
