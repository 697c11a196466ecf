import type { PartialMessage } from "@carehub/schemas";
import { isObject, obj, str } from "../fhir-json.ts";
import { profileForEvent } from "../message-profiles.ts";
import { decodeFhirText, type ParseFhirOptions, readFhirDocument } from "../parse-fhir-message.ts";
import { readBundleHead } from "./json-head.ts";

/** What identifies a FHIR message before it is validated: its MessageHeader.id and the kind its event names. */
export type FhirMessageIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads only the MessageHeader's id and event (the first MessageHeader among the entries, as the parser takes
 * it), without validating the Bundle: what the gateway needs to recognise a repeat. The message id is
 * MessageHeader.id, never Bundle.id (MedCom: a resent message keeps its MessageHeader.id). FHIR JSON is
 * scanned, not parsed (json-head.ts: the reading stops once the header is read); FHIR XML, rare on the wire,
 * is still converted in full. Never throws; what cannot be read is left out, and intake's full parse
 * reports why. Intake derives the hub id from this same reading, so gateway and intake always agree on it.
 */
export function readFhirMessageIdentity(input: Uint8Array, options: ParseFhirOptions = {}): FhirMessageIdentity {
  try {
    const decoded = decodeFhirText(input, options);
    if ("issue" in decoded) return options.format === undefined ? {} : { format: options.format };
    if (decoded.format === "fhir+json") {
      const head = readBundleHead(decoded.text, decoded.limits.maxDepth);
      return identityOf(decoded.format, head.resourceType, head.header);
    }
    return readConverted(input, options);
  } catch {
    return options.format === undefined ? {} : { format: options.format };
  }
}

function identityOf(
  format: "fhir+json" | "fhir+xml",
  resourceType: string | undefined,
  header: { id?: string; eventSystem?: string; eventCode?: string } | undefined,
): FhirMessageIdentity {
  const identity: FhirMessageIdentity = { format };
  if (resourceType !== "Bundle" || header === undefined) return identity;
  if (header.id !== undefined && header.id.length > 0) identity.messageId = header.id;
  const profile = profileForEvent(header.eventSystem, header.eventCode);
  if (profile !== undefined) identity.kind = profile.kind;
  return identity;
}

/** FHIR XML (and input whose format cannot be told): the converted document, read as before. */
function readConverted(input: Uint8Array, options: ParseFhirOptions): FhirMessageIdentity {
  const document = readFhirDocument(input, options);
  const identity: FhirMessageIdentity = document.format === undefined ? {} : { format: document.format };
  if (!document.ok || !isObject(document.value) || document.value.resourceType !== "Bundle") return identity;
  const entries: unknown[] = Array.isArray(document.value.entry) ? document.value.entry : [];
  const header = entries.map((entry) => obj(entry, "resource")).find((r) => r?.resourceType === "MessageHeader");
  if (header === undefined) return identity;
  const event = obj(header, "eventCoding");
  return identityOf(document.format, "Bundle", {
    ...(str(header, "id") === undefined ? {} : { id: str(header, "id") as string }),
    ...(str(event, "system") === undefined ? {} : { eventSystem: str(event, "system") as string }),
    ...(str(event, "code") === undefined ? {} : { eventCode: str(event, "code") as string }),
  });
}
