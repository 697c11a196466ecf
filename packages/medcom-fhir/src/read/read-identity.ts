import type { PartialMessage } from "@carehub/schemas";
import { isObject, obj, str } from "../fhir-json.ts";
import { profileForEvent } from "../message-profiles.ts";
import { type ParseFhirOptions, readFhirDocument } from "../parse-fhir-message.ts";

/** What identifies a FHIR message before it is validated: its MessageHeader.id and the kind its event names. */
export type FhirMessageIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads only the MessageHeader's id and event (the first entry, or the first MessageHeader anywhere, as the
 * parser does), without validating the Bundle: what the gateway needs to recognise a repeat. The message id
 * is MessageHeader.id, never Bundle.id (MedCom: a resent message keeps its MessageHeader.id). Never throws;
 * what cannot be read is left out, and intake's full parse reports why.
 */
export function readFhirMessageIdentity(input: Uint8Array, options: ParseFhirOptions = {}): FhirMessageIdentity {
  try {
    const document = readFhirDocument(input, options);
    const identity: FhirMessageIdentity = document.format === undefined ? {} : { format: document.format };
    if (!document.ok || !isObject(document.value) || document.value.resourceType !== "Bundle") return identity;
    const entries: unknown[] = Array.isArray(document.value.entry) ? document.value.entry : [];
    const header = entries.map((entry) => obj(entry, "resource")).find((r) => r?.resourceType === "MessageHeader");
    if (header === undefined) return identity;
    const id = str(header, "id");
    if (id !== undefined && id.length > 0) identity.messageId = id;
    const event = obj(header, "eventCoding");
    const profile = profileForEvent(str(event, "system"), str(event, "code"));
    if (profile !== undefined) identity.kind = profile.kind;
    return identity;
  } catch {
    return options.format === undefined ? {} : { format: options.format };
  }
}
