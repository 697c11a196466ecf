import { declaredEncoding } from "./decode.ts";
import { fitsWindows1252 } from "./xml-writer.ts";

const CP1252_BYTE = new Map<number, number>([
  [0x20ac, 0x80],
  [0x201a, 0x82],
  [0x0192, 0x83],
  [0x201e, 0x84],
  [0x2026, 0x85],
  [0x2020, 0x86],
  [0x2021, 0x87],
  [0x02c6, 0x88],
  [0x2030, 0x89],
  [0x0160, 0x8a],
  [0x2039, 0x8b],
  [0x0152, 0x8c],
  [0x017d, 0x8e],
  [0x2018, 0x91],
  [0x2019, 0x92],
  [0x201c, 0x93],
  [0x201d, 0x94],
  [0x2022, 0x95],
  [0x2013, 0x96],
  [0x2014, 0x97],
  [0x02dc, 0x98],
  [0x2122, 0x99],
  [0x0161, 0x9a],
  [0x203a, 0x9b],
  [0x0153, 0x9c],
  [0x017e, 0x9e],
  [0x0178, 0x9f],
]);

/**
 * The bytes of an XML text in the encoding its declaration names (windows-1252 / ISO-8859-1, else UTF-8),
 * ready to send. Characters outside windows-1252 become character references.
 */
export function encodeXmlText(text: string): Uint8Array {
  const named = declaredEncoding(text.slice(0, 256))?.toLowerCase();
  if (named !== "windows-1252" && named !== "iso-8859-1" && named !== "cp1252" && named !== "latin1") {
    return new TextEncoder().encode(text);
  }
  // Most letters are Latin-1 text outside 0x80–0x9F, one byte per character as it stands: written straight into
  // the result; the first character that is not goes to the character-by-character path below.
  // Every unit before the stop is below 0x100, so none is half a surrogate pair: the prefix ends on a code-point
  // boundary and the path below starts on a whole character.
  const direct = new Uint8Array(text.length);
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 && (code < 0xa0 || code > 0xff)) break;
    direct[i] = code;
  }
  if (i === text.length) return direct;
  const bytes: number[] = Array.from(direct.subarray(0, i));
  for (const char of text.slice(i)) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (codePoint < 0x80 || (codePoint >= 0xa0 && codePoint <= 0xff)) bytes.push(codePoint);
    else if (fitsWindows1252(codePoint)) bytes.push(CP1252_BYTE.get(codePoint) ?? 0x3f);
    else for (const byte of new TextEncoder().encode(`&#${codePoint};`)) bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}
