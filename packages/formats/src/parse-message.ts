import { parseFhirMessage } from "@carehub/medcom-fhir";
import { parseOioxmlMessage } from "@carehub/medcom-xml";
import type { ParseResult, WireFormat } from "@carehub/schemas";
import { FORMAT_ERROR_CODES } from "./codes.ts";
import { detectFormat } from "./detect-format.ts";

export interface ParseMessageOptions {
  /** The Content-Type the message came with; without it the format is sniffed from the bytes. */
  contentType?: string;
  /** Largest accepted body in bytes (default 20 MiB, as the format parsers). */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

function dispatch(bytes: Uint8Array, format: WireFormat, maxBytes: number): ParseResult {
  switch (format) {
    case "fhir+json":
    case "fhir+xml":
      return parseFhirMessage(bytes, { format, limits: { maxBytes } });
    case "oioxml":
      return parseOioxmlMessage(bytes, { limits: { maxBytes } });
  }
}

/**
 * Detects the wire format and parses the message with the matching MedCom package. Pure; never throws: every
 * problem, including one in a parser, comes back as a ParseFailure.
 */
export function parseMessage(bytes: Uint8Array, options: ParseMessageOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    if (bytes.byteLength > maxBytes) {
      return {
        ok: false,
        partial: {},
        issues: [
          { code: FORMAT_ERROR_CODES.TOO_LARGE, path: "", message: `the message is larger than ${maxBytes} bytes` },
        ],
      };
    }
    const detected = detectFormat(bytes, options.contentType);
    if (!detected.ok) return { ok: false, partial: {}, issues: [detected.issue] };
    const result = dispatch(bytes, detected.format, maxBytes);
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
