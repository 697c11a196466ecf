import { decodeFhirText } from "@carehub/medcom-fhir";
import { decodeXmlBytes } from "@carehub/medcom-xml";
import type { ParseResult } from "@carehub/schemas";
import { detectFormat } from "./detect-format.ts";
import { DEFAULT_MAX_BYTES, type DecodedBody, parseDetected, tooLarge } from "./parse-message.ts";
import { identityOfDetected, type MessageIdentity } from "./read-identity.ts";

/** Intake's two readings of one message: the full parse and the header read the gateway admitted it by. */
export interface ReadMessage {
  parsed: ParseResult;
  identity: MessageIdentity;
}

/**
 * parseMessage and readMessageIdentity of the same bytes, with the format detected once and a FHIR JSON body or
 * an OIOXML letter decoded once for both (intake needs both: the header read names the message as the gateway named it, the full
 * parse validates it). Gives exactly what the two give apart (read-message.test.ts holds it to them on the corpus).
 * Pure; never throws.
 */
export function readMessage(bytes: Uint8Array, options: { contentType?: string; maxBytes?: number } = {}): ReadMessage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.byteLength > maxBytes) return { parsed: tooLarge(maxBytes), identity: {} };
  const detected = detectFormat(bytes, options.contentType);
  if (!detected.ok) return { parsed: parseDetected(bytes, detected, maxBytes), identity: {} };
  const { format } = detected;
  let decoded: DecodedBody | undefined;
  if (format === "fhir+json") {
    const fhir = decodeFhirText(bytes, { format, limits: { maxBytes } });
    // Not UTF-8: both readings go from the bytes and say so their own way.
    if (!("issue" in fhir)) decoded = { fhirText: fhir.text };
  } else if (format === "oioxml") {
    // What each reading would decode itself, failure included (both say so their own way).
    decoded = { letter: decodeXmlBytes(bytes) };
  }
  return {
    parsed: parseDetected(bytes, detected, maxBytes, decoded),
    identity: identityOfDetected(bytes, format, maxBytes, decoded),
  };
}
