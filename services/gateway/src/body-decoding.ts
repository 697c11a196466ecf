import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";
import { decoderFor } from "@carehub/formats";
import type { MediaType } from "./media-type.ts";

export type DecodeCheck = { ok: true; encoding: string } | { ok: false; reason: string };

/**
 * Whether the body can be decoded as text in the encoding it declares: UTF-8 for FHIR JSON (RFC 8259),
 * and for XML the charset parameter, else a byte-order mark, else the XML declaration, else UTF-8.
 * OIOXML is usually windows-1252 / ISO-8859-1 and says so in its declaration. Reading the message is
 * intake's job; this only refuses bytes that are not text at all in their own encoding.
 *
 * Nothing is decoded where the answer is known without it (the text is thrown away; decoding every body was
 * about 3 % of the gateway's CPU): UTF-8 is checked in place (`isUtf8`, what a fatal decoder accepts), and
 * windows-1252 — what ISO-8859-1, latin1 and US-ASCII labels decode as (WHATWG Encoding) — maps every byte
 * to a character, so no body can fail it. Any other encoding is decoded by a fatal decoder made once per encoding
 * (medcom-xml's, which intake's XML reading uses), not one made per message.
 */
export function checkDecodable(bytes: Uint8Array, mediaType: MediaType): DecodeCheck {
  const isJson = mediaType.essence.includes("json");
  const encoding = encodingOf(isJson ? (mediaType.charset ?? "utf-8") : xmlEncoding(bytes, mediaType.charset));
  // Not repeated: the name comes from the caller's header or body.
  if (encoding === undefined)
    return { ok: false, reason: "the declared character encoding is not one this hub can decode" };
  if (isJson && encoding !== "utf-8") return { ok: false, reason: "FHIR JSON must be UTF-8" };
  if (encoding === "utf-8") return isUtf8(bytes) ? { ok: true, encoding: "utf-8" } : notValid("utf-8");
  if (encoding === "windows-1252") return { ok: true, encoding: "windows-1252" };
  try {
    // A WHATWG encoding's name (encodingOf), so the decoders kept are at most the standard's ~40.
    decoderFor(encoding).decode(bytes);
  } catch {
    return notValid(encoding);
  }
  return { ok: true, encoding };
}

/**
 * The encodings by label already looked up, for labels written as the Encoding standard lists them (lower case,
 * no white space): at most the standard's ~220, whatever senders declare. A TextDecoder made only to name the
 * encoding was ~0.2 µs of every message (decision 0117).
 */
const ENCODINGS = new Map<string, string>();
const LISTED_FORM = /^[a-z0-9._:-]+$/;

/** The WHATWG name of an encoding label (`TextDecoder#encoding`), or undefined when no decoder takes it. */
function encodingOf(label: string): string | undefined {
  const known = ENCODINGS.get(label);
  if (known !== undefined) return known;
  let encoding: string;
  try {
    encoding = new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
  if (LISTED_FORM.test(label)) ENCODINGS.set(label, encoding);
  return encoding;
}

function notValid(encoding: string): DecodeCheck {
  return { ok: false, reason: `the body is not valid ${encoding}` };
}

function xmlEncoding(bytes: Uint8Array, charset: string | undefined): string {
  if (charset !== undefined) return charset;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  // The declaration is ASCII in every encoding an XML document without a BOM can use.
  const head = Buffer.from(bytes.subarray(0, 200)).toString("latin1");
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  return declared ?? "utf-8";
}
