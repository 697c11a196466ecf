import { isUtf8 } from "node:buffer";
import type { PartialMessage } from "@carehub/schemas";
import { resolveLimits } from "../limits.ts";
import { profileForEvent } from "../message-profiles.ts";
import { decodeFhirText, type ParseFhirOptions } from "../parse-fhir-message.ts";
import { type BundleHead, readBundleHead, readJsonMessageHead } from "./json-head.ts";
import { readXmlBundleHead, readXmlMessageHead } from "./xml-head.ts";

/** What identifies a FHIR message before it is validated: its MessageHeader.id and the kind its event names. */
export type FhirMessageIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads only the MessageHeader's id and event (the first MessageHeader among the entries, as the parser takes
 * it), without validating the Bundle: what the gateway needs to recognise a repeat. The message id is
 * MessageHeader.id, never Bundle.id (MedCom: a resent message keeps its MessageHeader.id). Neither format is
 * parsed: FHIR JSON is scanned (json-head.ts), FHIR XML read tag by tag (xml-head.ts), and the reading stops
 * once the header is read; from bytes of a named format, only the head is decoded. Never throws; what cannot be read is left out, and intake's full parse reports why.
 * Intake derives the hub id from this same reading, so gateway and intake always agree on it. `input` may be the
 * message's text already decoded by decodeFhirText (intake decodes a FHIR JSON body once for both readings).
 */
export function readFhirMessageIdentity(
  input: Uint8Array | string,
  options: ParseFhirOptions = {},
): FhirMessageIdentity {
  try {
    // FHIR XML named as such (the gateway's case): read from the head of the bytes, not decoded whole.
    const limits = resolveLimits(options.limits);
    if (options.format === "fhir+xml" && typeof input !== "string" && input.byteLength <= limits.maxBytes) {
      const head = readXmlMessageHead(input, limits.maxDepth);
      return identityOf("fhir+xml", head.resourceType, head.header);
    }
    // FHIR JSON named as such: the whole body checked for UTF-8 in place, only its head decoded (decision 0112).
    if (options.format === "fhir+json" && typeof input !== "string" && input.byteLength <= limits.maxBytes) {
      if (!isUtf8(input)) return { format: "fhir+json" };
      const head = readJsonMessageHead(input, limits.maxDepth);
      return identityOf("fhir+json", head.resourceType, head.header);
    }
    const decoded = decodeFhirText(input, options);
    if ("issue" in decoded || decoded.format === undefined)
      return options.format === undefined ? {} : { format: options.format };
    const head =
      decoded.format === "fhir+json"
        ? readBundleHead(decoded.text, decoded.limits.maxDepth)
        : readXmlBundleHead(decoded.text, decoded.limits.maxDepth).head;
    return identityOf(decoded.format, head.resourceType, head.header);
  } catch {
    return options.format === undefined ? {} : { format: options.format };
  }
}

function identityOf(
  format: "fhir+json" | "fhir+xml",
  resourceType: string | undefined,
  header: BundleHead["header"],
): FhirMessageIdentity {
  const identity: FhirMessageIdentity = { format };
  if (resourceType !== "Bundle" || header === undefined) return identity;
  if (header.id !== undefined && header.id.length > 0) identity.messageId = header.id;
  const profile = profileForEvent(header.eventSystem, header.eventCode);
  if (profile !== undefined) identity.kind = profile.kind;
  return identity;
}
