import { readFhirMessageIdentity } from "@carehub/medcom-fhir";
import { readLetterIdentity } from "@carehub/medcom-xml";
import type { PartialMessage, WireFormat } from "@carehub/schemas";
import { detectFormat } from "./detect-format.ts";
import { DEFAULT_MAX_BYTES, type DecodedBody } from "./parse-message.ts";

/** A message's own id and kind, read from its header alone. */
export type MessageIdentity = Pick<PartialMessage, "format" | "messageId" | "kind">;

/**
 * Reads a message's id and kind from its header without validating it (the format's header reader): what
 * the gateway needs to recognise a repeat before it stores a message, at a fraction of a full parse. Pure and
 * total: a message that cannot be read gives what could be read (often nothing), and intake's full parse
 * says why.
 */
export function readMessageIdentity(
  bytes: Uint8Array,
  options: { contentType?: string; maxBytes?: number } = {},
): MessageIdentity {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.byteLength > maxBytes) return {};
  const detected = detectFormat(bytes, options.contentType);
  if (!detected.ok) return {};
  return identityOfDetected(bytes, detected.format, maxBytes);
}

/**
 * The header read of a message of a known format (readMessage shares one detection between this and the full
 * parse). `decoded`, when given, is the body already decoded from `bytes` as the format's reader decodes it.
 */
export function identityOfDetected(
  bytes: Uint8Array,
  format: WireFormat,
  maxBytes: number,
  decoded?: DecodedBody,
): MessageIdentity {
  switch (format) {
    case "fhir+json":
    case "fhir+xml":
      return readFhirMessageIdentity(decoded !== undefined && "fhirText" in decoded ? decoded.fhirText : bytes, {
        format,
        limits: { maxBytes },
      });
    case "oioxml":
      return readLetterIdentity(bytes, {
        limits: { maxBytes },
        ...(decoded !== undefined && "letter" in decoded ? { decoded: decoded.letter } : {}),
      });
  }
}
