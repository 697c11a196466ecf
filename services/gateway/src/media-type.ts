import { CONTENT_TYPES } from "@carehub/schemas";

/** Content types the gateway takes, mapped to the canonical type it records on INGRESS. */
export const ACCEPTED_MEDIA_TYPES: Readonly<Record<string, string>> = {
  "application/fhir+json": CONTENT_TYPES["fhir+json"],
  "application/json+fhir": CONTENT_TYPES["fhir+json"],
  "application/fhir+xml": CONTENT_TYPES["fhir+xml"],
  "application/xml+fhir": CONTENT_TYPES["fhir+xml"],
  "application/xml": CONTENT_TYPES.oioxml,
  "text/xml": CONTENT_TYPES.oioxml,
};

export interface MediaType {
  /** Lower-case `type/subtype`, without parameters. */
  essence: string;
  charset?: string;
}

/** Parses a Content-Type header; undefined when it is absent or not a media type. */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const [essencePart = "", ...parameters] = header.split(";");
  const essence = essencePart.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence)) return undefined;
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name = "", value = ""] = parameter.split("=");
    if (name.trim().toLowerCase() === "charset")
      charset = value
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
  }
  return charset === undefined ? { essence } : { essence, charset };
}

/**
 * The content type recorded with the bytes on INGRESS: the canonical type for the format family (so intake
 * sees one spelling per format), keeping a charset the sender declared, since it may be needed to decode.
 * Undefined for a type the gateway does not take.
 */
export function canonicalContentType(mediaType: MediaType): string | undefined {
  const canonical = ACCEPTED_MEDIA_TYPES[mediaType.essence];
  if (canonical === undefined) return undefined;
  return mediaType.charset === undefined ? canonical : `${canonical}; charset=${mediaType.charset}`;
}
