import { isUtf8 } from "node:buffer";
import type { ParseResult, ValidationIssue, WireFormat } from "@carehub/schemas";
import { fhirIssue } from "./issues.ts";
import { type ParseLimits, resolveLimits } from "./limits.ts";
import { interpretBundle } from "./read/interpret-bundle.ts";
import { parseJsonSafely } from "./safe-json.ts";
import { fhirXmlToJson } from "./xml/fhir-xml-to-json.ts";

export interface ParseFhirOptions {
  /** The wire format when the caller knows it (from Content-Type); otherwise sniffed from the first character. */
  format?: "fhir+json" | "fhir+xml";
  limits?: Partial<ParseLimits>;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function failure(format: WireFormat | undefined, issues: ValidationIssue[]): ParseResult {
  return { ok: false, partial: format === undefined ? {} : { format }, issues };
}

function sniff(text: string): "fhir+json" | "fhir+xml" | undefined {
  for (let i = 0; i < text.length && i < 4096; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) continue;
    if (c === 0x7b) return "fhir+json";
    if (c === 0x3c) return "fhir+xml";
    return undefined;
  }
  return undefined;
}

function decode(input: Uint8Array | string, limits: ParseLimits): { text: string } | { issue: ValidationIssue } {
  const tooLarge = () =>
    ({
      issue: fhirIssue("CAREHUB_ERR_FHIR_TOO_LARGE", "(input)", `the message is larger than ${limits.maxBytes} bytes`),
    }) as const;
  if (typeof input === "string") {
    // A UTF-8 byte is at most 3 per UTF-16 unit; count exactly only when the cheap bound is not enough.
    if (
      input.length > limits.maxBytes ||
      (input.length * 3 > limits.maxBytes && Buffer.byteLength(input) > limits.maxBytes)
    )
      return tooLarge();
    return { text: input };
  }
  if (input.byteLength > limits.maxBytes) return tooLarge();
  try {
    return { text: UTF8.decode(input) };
  } catch {
    return { issue: fhirIssue("CAREHUB_ERR_FHIR_ENCODING", "(input)", "the message is not valid UTF-8") };
  }
}

/**
 * The first `bytes` bytes of a UTF-8 message (cut back to the start of a character), decoded as the whole message
 * would be: what a header reader that stops early decodes. When they are not all UTF-8, the longest part that is,
 * and `broken`: the full parse refuses the message, the reader may still find its header before the bad bytes.
 */
export function decodeUtf8Prefix(input: Uint8Array, bytes: number): { text: string; broken: boolean } {
  const cut = (at: number) => {
    let end = Math.min(at, input.byteLength);
    while (end > 0 && end < input.byteLength && ((input[end] as number) & 0xc0) === 0x80) end--;
    return end;
  };
  const end = cut(bytes);
  if (isUtf8(input.subarray(0, end))) return { text: UTF8.decode(input.subarray(0, end)), broken: false };
  // The longest valid part: a valid prefix cut at a character's start is valid, so bisect.
  let valid = 0;
  let invalid = end;
  while (invalid - valid > 1) {
    const middle = (valid + invalid) >>> 1;
    if (isUtf8(input.subarray(0, cut(middle)))) valid = middle;
    else invalid = middle;
  }
  return { text: UTF8.decode(input.subarray(0, cut(valid))), broken: true };
}

/** A decoded FHIR document, not yet read as a message: what the parser and the identity reader start from. */
export type FhirDocument =
  | { ok: true; format: "fhir+json" | "fhir+xml"; value: unknown; limits: ParseLimits }
  | { ok: false; format: "fhir+json" | "fhir+xml" | undefined; issues: ValidationIssue[] };

/** The text of a FHIR message and its format (given, else sniffed): what both the parser and the header reader start from. */
export function decodeFhirText(
  input: Uint8Array | string,
  options: ParseFhirOptions | undefined,
): { text: string; format: "fhir+json" | "fhir+xml" | undefined; limits: ParseLimits } | { issue: ValidationIssue } {
  const limits = resolveLimits(options?.limits);
  const decoded = decode(input, limits);
  if ("issue" in decoded) return decoded;
  return { text: decoded.text, format: options?.format ?? sniff(decoded.text), limits };
}

export function readFhirDocument(input: Uint8Array | string, options: ParseFhirOptions | undefined): FhirDocument {
  const decoded = decodeFhirText(input, options);
  if ("issue" in decoded) return { ok: false, format: options?.format, issues: [decoded.issue] };
  const { format, limits } = decoded;
  if (format === undefined)
    return {
      ok: false,
      format,
      issues: [
        fhirIssue("CAREHUB_ERR_FHIR_FORMAT_UNKNOWN", "(input)", "the input starts with neither { (JSON) nor < (XML)"),
      ],
    };
  const document = format === "fhir+json" ? parseJsonSafely(decoded.text, limits) : fhirXmlToJson(decoded.text, limits);
  if (!document.ok) return { ok: false, format, issues: document.issues };
  return { ok: true, format, value: document.value, limits };
}

function parseUnchecked(input: Uint8Array | string, options: ParseFhirOptions | undefined): ParseResult {
  const document = readFhirDocument(input, options);
  if (!document.ok) return failure(document.format, document.issues);
  return interpretBundle(document.value, document.format, document.limits);
}

/**
 * Parses, validates and normalises one MedCom FHIR message (JSON or XML) into a ParsedMessage.
 * Pure and total: every failure, even a bug, comes back as a ParseFailure, never as an exception.
 */
export function parseFhirMessage(input: Uint8Array | string, options?: ParseFhirOptions): ParseResult {
  try {
    return parseUnchecked(input, options);
  } catch (error) {
    const what = error instanceof Error ? error.name : "error";
    return failure(options?.format, [
      fhirIssue("CAREHUB_ERR_FHIR_INTERNAL", "(input)", `the parser failed unexpectedly (${what})`),
    ]);
  }
}
