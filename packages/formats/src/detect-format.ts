import { decodeWindows1252 } from "@carehub/medcom-xml";
import type { ValidationIssue, WireFormat } from "@carehub/schemas";
import { FORMAT_ERROR_CODES } from "./codes.ts";

export type DetectResult = { ok: true; format: WireFormat } | { ok: false; issue: ValidationIssue };

/** What a Content-Type declares: one format, or "xml" (application/xml, text/xml: FHIR XML or OIOXML). */
type Declared = WireFormat | "xml" | "json";

const DECLARED: Readonly<Record<string, Declared>> = {
  "application/fhir+json": "fhir+json",
  "application/json+fhir": "fhir+json",
  "application/json": "json",
  "application/fhir+xml": "fhir+xml",
  "application/xml+fhir": "fhir+xml",
  "application/xml": "xml",
  "text/xml": "xml",
};

const FHIR_NAMESPACE = "http://hl7.org/fhir";
/** How far into the bytes to look for the root element: a short look first, a long one past big comments. */
const SHORT_SNIFF_BYTES = 2 * 1024;
const LONG_SNIFF_BYTES = 64 * 1024;

function issue(code: string, message: string): ValidationIssue {
  return { code, path: "", message };
}

/** The first characters, decoded just enough to read markup (which is ASCII in every encoding carehub takes). */
function head(bytes: Uint8Array, limit: number): string {
  let start = 0;
  let utf16: "le" | "be" | undefined;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) utf16 = "le";
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) utf16 = "be";
  const end = Math.min(bytes.length, limit);
  if (utf16) return new TextDecoder(`utf-16${utf16}`).decode(bytes.subarray(2, end));
  // windows-1252 (what a TextDecoder labelled "latin1" decodes): every byte maps to one character.
  return decodeWindows1252(bytes.subarray(start, end));
}

/**
 * Whether the short look would find `{` first, read from the bytes without decoding them: past a UTF-8 BOM, the
 * bytes whose windows-1252 character is white space to `/\s/` (tab, LF, VT, FF, CR, space, no-break space). A
 * JSON body then needs no decoding at all; anything else takes the decoding look.
 */
function startsWithBrace(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, SHORT_SNIFF_BYTES);
  for (let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; i < end; i++) {
    const b = bytes[i] as number;
    if ((b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0) continue;
    return b === 0x7b;
  }
  return false;
}

type Sniffed = "json" | "fhir+xml" | "oioxml" | "xml-other" | "unknown" | "empty";

const namespaceAttributes = new Map<string, RegExp>();

/** The pattern of the attribute declaring a prefix's namespace (the default one without a prefix), compiled once. */
function namespaceAttribute(prefix: string | undefined): RegExp {
  const name = prefix === undefined ? "xmlns" : `xmlns:${prefix}`;
  let pattern = namespaceAttributes.get(name);
  if (pattern === undefined) {
    pattern = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(["'])(.*?)\\1`);
    // Prefixes come from the message: keep a bounded number of them.
    if (namespaceAttributes.size < 64) namespaceAttributes.set(name, pattern);
  }
  return pattern;
}

/** Reads the root start tag past the XML declaration, processing instructions, comments and a DOCTYPE. */
function sniffXml(text: string, from: number): Sniffed {
  let i = from;
  for (;;) {
    const closer = text.startsWith("<?", i)
      ? "?>"
      : text.startsWith("<!--", i)
        ? "-->"
        : text.startsWith("<!", i)
          ? ">"
          : undefined;
    if (closer === undefined) break;
    const end = text.indexOf(closer, i);
    if (end < 0) return "unknown";
    i = end + closer.length;
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  }
  const tag = /^<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)([^>]*)>?/.exec(text.slice(i, i + 4096));
  if (!tag) return "unknown";
  const [, prefix, localName, attributes = ""] = tag;
  const namespace = namespaceAttribute(prefix).exec(attributes)?.[2];
  if (localName === "Emessage") return "oioxml";
  if (namespace === FHIR_NAMESPACE) return "fhir+xml";
  return "xml-other";
}

function sniff(bytes: Uint8Array): Sniffed {
  if (startsWithBrace(bytes)) return "json";
  const short = sniffText(head(bytes, SHORT_SNIFF_BYTES));
  // The short look can end inside leading whitespace, a comment or the root's start tag: then look further.
  const settled = short === "json" || short === "fhir+xml" || short === "oioxml";
  if (settled || bytes.length <= SHORT_SNIFF_BYTES) return short;
  return sniffText(head(bytes, LONG_SNIFF_BYTES));
}

function sniffText(text: string): Sniffed {
  const first = text.search(/\S/);
  if (first < 0) return "empty";
  if (text[first] === "{") return "json";
  if (text[first] === "<") return sniffXml(text, first);
  return "unknown";
}

/**
 * Decides a message's wire format: by its Content-Type when given (application/fhir+json,
 * application/json+fhir, application/fhir+xml, application/xml, text/xml), confirmed by the bytes; by the
 * bytes alone otherwise. A declared type the bytes contradict is an error, not a guess. Never throws.
 */
export function detectFormat(bytes: Uint8Array, contentType?: string): DetectResult {
  const sniffed = sniff(bytes);
  if (sniffed === "empty") return { ok: false, issue: issue(FORMAT_ERROR_CODES.EMPTY, "the message body is empty") };
  const bytesFormat: WireFormat | undefined =
    sniffed === "json" ? "fhir+json" : sniffed === "fhir+xml" || sniffed === "oioxml" ? sniffed : undefined;
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType === undefined || mediaType === "") {
    if (bytesFormat) return { ok: true, format: bytesFormat };
    return {
      ok: false,
      issue: issue(FORMAT_ERROR_CODES.UNKNOWN, "the message is neither FHIR JSON, FHIR XML nor a MedCom OIOXML letter"),
    };
  }
  const declared = DECLARED[mediaType];
  if (declared === undefined) {
    return {
      ok: false,
      issue: issue(
        FORMAT_ERROR_CODES.CONTENT_TYPE_UNSUPPORTED,
        `Content-Type ${mediaType.slice(0, 80)} is not supported (use application/fhir+json, application/fhir+xml or application/xml)`,
      ),
    };
  }
  const fits =
    bytesFormat !== undefined &&
    (declared === bytesFormat ||
      (declared === "json" && bytesFormat === "fhir+json") ||
      (declared === "xml" && bytesFormat !== "fhir+json"));
  if (!fits) {
    return {
      ok: false,
      issue: issue(
        FORMAT_ERROR_CODES.MISMATCH,
        `Content-Type ${mediaType} does not match the body, which ${describe(sniffed)}`,
      ),
    };
  }
  return { ok: true, format: bytesFormat };
}

function describe(sniffed: Sniffed): string {
  switch (sniffed) {
    case "json":
      return "is JSON";
    case "fhir+xml":
      return "is FHIR XML";
    case "oioxml":
      return "is an OIOXML letter";
    case "xml-other":
      return "is XML that is neither FHIR nor OIOXML";
    case "unknown":
    case "empty":
      return "is neither JSON nor XML";
  }
}
