import type { ValidationIssue } from "@carehub/schemas";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { oioxmlIssue } from "./issue.ts";

export type DecodeResult = { ok: true; text: string; encoding: string } | { ok: false; issue: ValidationIssue };

/** Encodings OIOXML letters come in, by their lower-cased XML name → WHATWG decoder label. */
const SUPPORTED: Readonly<Record<string, string>> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "windows-1252": "windows-1252",
  cp1252: "windows-1252",
  "iso-8859-1": "windows-1252", // WHATWG decodes ISO-8859-1 as its superset windows-1252
  "iso_8859-1": "windows-1252",
  latin1: "windows-1252",
  "us-ascii": "windows-1252",
  ascii: "windows-1252",
  "utf-16": "utf-16le",
  "utf-16le": "utf-16le",
  "utf-16be": "utf-16be",
};

const DECLARATION = /^<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/;

/** The encoding named by an XML declaration at the very start of the bytes, or undefined. */
export function declaredEncoding(head: string): string | undefined {
  return DECLARATION.exec(head)?.[1];
}

function detectBom(bytes: Uint8Array): { label: string; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { label: "utf-8", length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { label: "utf-16le", length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { label: "utf-16be", length: 2 };
  return undefined;
}

/** The first 256 bytes, one character each (ISO-8859-1): the declaration is ASCII. Native, not a loop in JavaScript. */
function asciiHead(bytes: Uint8Array): string {
  return latin1(bytes.subarray(0, 256));
}

/** Each byte as the character of the same number (ISO-8859-1), decoded natively. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * One fatal decoder per label, made once (it starts afresh on every call that is not streaming, after a refusal
 * too): the one cache of them, which the gateway's check of a body's encoding uses as well. Only for labels a
 * caller has looked up or listed: each new label is kept.
 */
const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

export function decoderFor(label: string): InstanceType<typeof TextDecoder> {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    decoders.set(label, decoder);
  }
  return decoder;
}

/**
 * What windows-1252 (the WHATWG encoding, what `TextDecoder("latin1")` is) makes of the bytes 0x80–0x9F, where it
 * differs from ISO-8859-1; five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the C1 character of their own number.
 * A fixed table, not the runtime's decoder: some Node releases decoded this range as ISO-8859-1 (nodejs/node#56542).
 */
const C1_AS_WINDOWS_1252 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/** A character of U+0080–U+009F in ISO-8859-1 text: a byte 0x80–0x9F, one windows-1252 maps otherwise. */
const C1_CHARACTERS = /[\u0080-\u009f]/g;

/** A byte of 0x80–0x9F: its top three bits are 100. */
function isC1(byte: number): boolean {
  return (byte & 0xe0) === 0x80;
}

/**
 * Whether any byte is 0x80–0x9F, read four bytes at a time: a word with no byte of 0x80 or more is passed at once,
 * and in one with such a byte, each byte's top three bits, masked and flipped, are zero for a C1 byte. The
 * regular expression engine searching the decoded text for the same characters took ~1 ns a character, a loop over
 * single bytes as long; this about a third of that (decision 0125).
 */
export function hasC1Byte(bytes: Uint8Array): boolean {
  const length = bytes.byteLength;
  // Up to the first byte a 32-bit view may start at.
  const head = Math.min(length, (4 - (bytes.byteOffset & 3)) & 3);
  for (let at = 0; at < head; at++) if (isC1(bytes[at] as number)) return true;
  const count = (length - head) >>> 2;
  // A view only where there is a whole word (a shorter array may end before an aligned byte).
  if (count > 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + head, count);
    for (let k = 0; k < count; k++) {
      const word = words[k] as number;
      if ((word & 0x80808080) === 0) continue;
      const flipped = (word & 0xe0e0e0e0) ^ 0x80808080;
      // Has a zero byte (the classic test: exact for whether there is one).
      if (((flipped - 0x01010101) & ~flipped & 0x80808080) !== 0) return true;
    }
  }
  for (let at = head + count * 4; at < length; at++) if (isC1(bytes[at] as number)) return true;
  return false;
}

function asWindows1252(c1: string): string {
  return C1_AS_WINDOWS_1252.charAt(c1.charCodeAt(0) - 0x80);
}

/**
 * The bytes as the WHATWG windows-1252 decoder decodes them, which cannot fail: ISO-8859-1, decoded natively by
 * Buffer, with the 32 characters of 0x80–0x9F mapped by the table above where any occurs (nearly every Danish
 * letter has none: æøå are above).
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  const text = latin1(bytes);
  return hasC1Byte(bytes) ? text.replace(C1_CHARACTERS, asWindows1252) : text;
}

function decodeWith(label: string, bytes: Uint8Array, name: string): DecodeResult {
  try {
    const text = label === "windows-1252" ? decodeWindows1252(bytes) : decoderFor(label).decode(bytes);
    return { ok: true, text, encoding: name };
  } catch {
    return {
      ok: false,
      issue: oioxmlIssue(OIOXML_ERROR_CODES.ENCODING, "", `the bytes are not valid ${name}`),
    };
  }
}

/**
 * Decodes an OIOXML letter by its byte-order mark or, without one, by the encoding its XML declaration names
 * (UTF-8 when it names none). Never throws.
 */
export function decodeXmlBytes(bytes: Uint8Array): DecodeResult {
  const bom = detectBom(bytes);
  if (bom) {
    const body = bytes.subarray(bom.length);
    const decoded = decodeWith(bom.label, body, bom.label.toUpperCase());
    if (!decoded.ok) return decoded;
    const named = declaredEncoding(decoded.text.slice(0, 256))?.toLowerCase();
    const namedLabel = named === undefined ? undefined : SUPPORTED[named];
    const sameFamily =
      namedLabel === undefined || namedLabel === bom.label || (named === "utf-16" && bom.label.startsWith("utf-16"));
    if (named !== undefined && !sameFamily) {
      return {
        ok: false,
        issue: oioxmlIssue(
          OIOXML_ERROR_CODES.ENCODING,
          "",
          `the byte-order mark says ${bom.label.toUpperCase()} but the XML declaration says ${named}`,
        ),
      };
    }
    return decoded;
  }
  const named = declaredEncoding(asciiHead(bytes));
  if (named === undefined) return decodeWith("utf-8", bytes, "UTF-8");
  const label = SUPPORTED[named.toLowerCase()];
  if (label === undefined || label.startsWith("utf-16")) {
    // UTF-16 without a byte-order mark cannot have an ASCII-readable declaration: the name is wrong.
    return {
      ok: false,
      issue: oioxmlIssue(OIOXML_ERROR_CODES.ENCODING, "", `the declared encoding ${named} is not supported`),
    };
  }
  return decodeWith(label, bytes, named);
}
