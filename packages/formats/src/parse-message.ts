import { parseFhirMessage } from "@carehub/medcom-fhir";
import { type DecodeResult, parseOioxmlMessage } from "@carehub/medcom-xml";
import type { ParseResult, WireFormat } from "@carehub/schemas";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { type DetectResult, detectFormat } from "./detect-format.ts";

export interface ParseMessageOptions {
  /** The Content-Type the message came with; without it the format is sniffed from the bytes. */
  contentType?: string;
  /** Largest accepted body in bytes (default 20 MiB, as the format parsers). */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * A message's text decoded once for both of intake's readings (readMessage): a FHIR JSON body as decodeFhirText
 * decodes it, an OIOXML letter as decodeXmlBytes does (or why it cannot be).
 */
export type DecodedBody = { fhirText: string } | { letter: DecodeResult };

function dispatch(bytes: Uint8Array, format: WireFormat, maxBytes: number, decoded?: DecodedBody): ParseResult {
  switch (format) {
    case "fhir+json":
    case "fhir+xml":
      return parseFhirMessage(decoded !== undefined && "fhirText" in decoded ? decoded.fhirText : bytes, {
        format,
        limits: { maxBytes },
      });
    case "oioxml":
      return parseOioxmlMessage(bytes, {
        limits: { maxBytes },
        ...(decoded !== undefined && "letter" in decoded ? { decoded: decoded.letter } : {}),
      });
  }
}

/** The result of a too-large body, before anything else is looked at. */
export function tooLarge(maxBytes: number): ParseResult {
  return {
    ok: false,
    partial: {},
    issues: [{ code: FORMAT_ERROR_CODES.TOO_LARGE, path: "", message: `the message is larger than ${maxBytes} bytes` }],
  };
}

/**
 * Parses a message whose format detectFormat has decided (readMessage shares one detection between this and the
 * header read). `decoded`, when given, is the body already decoded from `bytes` as the format's parser decodes it.
 * Never throws.
 */
export function parseDetected(
  bytes: Uint8Array,
  detected: DetectResult,
  maxBytes: number,
  decoded?: DecodedBody,
): ParseResult {
  try {
    if (!detected.ok) return { ok: false, partial: {}, issues: [detected.issue] };
    const result = dispatch(bytes, detected.format, maxBytes, decoded);
    if (!result.ok && result.partial.format === undefined) {
      return { ...result, partial: { ...result.partial, format: detected.format } };
    }
    return result;
  } catch {
    return {
      ok: false,
      partial: {},
      issues: [{ code: FORMAT_ERROR_CODES.INTERNAL, path: "", message: "the message could not be parsed" }],
    };
  }
}

/**
 * Detects the wire format and parses the message with the matching MedCom package. Pure; never throws: every
 * problem, including one in a parser, comes back as a ParseFailure.
 */
export function parseMessage(bytes: Uint8Array, options: ParseMessageOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.byteLength > maxBytes) return tooLarge(maxBytes);
  let detected: DetectResult;
  try {
    detected = detectFormat(bytes, options.contentType);
  } catch {
    detected = {
      ok: false,
      issue: { code: FORMAT_ERROR_CODES.INTERNAL, path: "", message: "the message could not be parsed" },
    };
  }
  return parseDetected(bytes, detected, maxBytes);
}
