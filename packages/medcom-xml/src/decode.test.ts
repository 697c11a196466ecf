import { describe, expect, it } from "vitest";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { decodeXmlBytes, hasC1Byte } from "./decode.ts";
import { encodeXmlText } from "./encode.ts";

const bytes = (...parts: Array<string | number[]>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "latin1")] : p)));

describe("decodeXmlBytes", () => {
  it("decodes windows-1252 by the declaration, including the 0x80–0x9F range (€, smart quotes)", () => {
    const result = decodeXmlBytes(
      bytes('<?xml version="1.0" encoding="windows-1252"?><a>', [0xe6, 0xf8, 0xe5, 0x80, 0x93], "</a>"),
    );
    expect(result).toEqual({
      ok: true,
      text: '<?xml version="1.0" encoding="windows-1252"?><a>æøå€“</a>',
      encoding: "windows-1252",
    });
  });

  // Letters without a byte of 0x80–0x9F are decoded natively as ISO-8859-1; the rest by the WHATWG decoder. Catches
  // a shortcut taken for a letter that has such a byte (a € or a smart quote read as a C1 control character), and
  // a shared decoder that keeps state from the letter before (an invalid UTF-8 one, then a valid one).
  it("decodes every single-byte letter as the WHATWG windows-1252 decoder does, each byte value in every place", () => {
    const declaration = '<?xml version="1.0" encoding="ISO-8859-1"?><a>';
    const reference = new TextDecoder("windows-1252");
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 256;
    };
    for (let byte = 0; byte < 256; byte++) {
      for (const body of [[byte], [0x41, byte, 0x42], Array.from({ length: 40 }, (_, i) => (i === 20 ? byte : 0x61))]) {
        const input = bytes(declaration, body, "</a>");
        expect(decodeXmlBytes(input)).toEqual({ ok: true, text: reference.decode(input), encoding: "ISO-8859-1" });
      }
    }
    for (let round = 0; round < 200; round++) {
      const input = bytes(declaration, Array.from({ length: 64 }, random), "</a>");
      expect(decodeXmlBytes(input)).toMatchObject({ ok: true, text: reference.decode(input) });
    }
    const bad = Uint8Array.from([0x3c, 0x61, 0x3e, 0xc3, 0x28]);
    expect(decodeXmlBytes(bad).ok).toBe(false);
    expect(decodeXmlBytes(new TextEncoder().encode("<a>æ</a>"))).toMatchObject({ ok: true, text: "<a>æ</a>" });
    // A view into a larger buffer decodes its own bytes only.
    const framed = bytes("xx", [...bytes(declaration, [0xe6], "</a>")], "yy").subarray(2, -2);
    expect(decodeXmlBytes(framed)).toMatchObject({ ok: true, text: `${declaration}æ</a>` });
  });

  it("decodes ISO-8859-1 declared in single quotes and any letter case", () => {
    const result = decodeXmlBytes(bytes("<?xml version='1.0' encoding='iso-8859-1'?><a>", [0xc6, 0xd8, 0xc5], "</a>"));
    expect(result.ok && result.text.endsWith("<a>ÆØÅ</a>")).toBe(true);
  });

  it("decodes UTF-8 when no encoding is declared, and with a BOM", () => {
    const text = "<a>æøå</a>";
    expect(decodeXmlBytes(new TextEncoder().encode(text))).toMatchObject({ ok: true, text });
    expect(decodeXmlBytes(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]))).toMatchObject({
      ok: true,
      text,
    });
  });

  it("decodes UTF-16 with a byte-order mark", () => {
    const text = '<?xml version="1.0" encoding="UTF-16"?><a>æ</a>';
    const le = Uint8Array.from([0xff, 0xfe, ...Buffer.from(text, "utf16le")]);
    expect(decodeXmlBytes(le)).toMatchObject({ ok: true, text });
  });

  it("rejects invalid UTF-8, an unknown encoding, and a BOM that contradicts the declaration", () => {
    const invalid = decodeXmlBytes(bytes('<?xml version="1.0" encoding="UTF-8"?><a>', [0xe6], "</a>"));
    expect(invalid).toMatchObject({ ok: false, issue: { code: OIOXML_ERROR_CODES.ENCODING } });
    const unknown = decodeXmlBytes(bytes('<?xml version="1.0" encoding="EBCDIC-277"?><a/>'));
    expect(unknown).toMatchObject({ ok: false, issue: { code: OIOXML_ERROR_CODES.ENCODING } });
    const contradiction = decodeXmlBytes(
      bytes([0xef, 0xbb, 0xbf], '<?xml version="1.0" encoding="windows-1252"?><a/>'),
    );
    expect(contradiction).toMatchObject({ ok: false, issue: { code: OIOXML_ERROR_CODES.ENCODING } });
  });

  it("is the inverse of encodeXmlText for windows-1252 text", () => {
    const text = '<?xml version="1.0" encoding="windows-1252"?><a>Ærø € “x” 😀</a>';
    const encoded = encodeXmlText(text);
    expect(encoded.includes(0xc6)).toBe(true); // Æ as one byte
    const decoded = decodeXmlBytes(encoded);
    expect(decoded.ok && decoded.text).toBe(text.replace("😀", "&#128512;"));
  });
});

describe("hasC1Byte", () => {
  // Read four bytes at a time from the first aligned byte (decision 0125). Catches a byte left unread before or
  // after the aligned words (an off-by-one at either end, a view past a subarray's start), and a mask that takes in
  // a neighbour of the range (0x7F, 0xA0–0xBF: a letter decoded by the slower path for nothing), each byte value in
  // each place of arrays of 0–13 bytes at four offsets into their buffer, against the expression it replaced.
  it("answers as a search of the ISO-8859-1 text for U+0080–U+009F, each byte value in every place and alignment", () => {
    const c1 = /[\u0080-\u009f]/;
    const backing = new Uint8Array(32);
    let compared = 0;
    for (let byte = 0; byte < 256; byte++)
      for (let offset = 0; offset < 4; offset++)
        for (let length = 0; length <= 13; length++)
          for (let place = 0; place < Math.max(length, 1); place++) {
            backing.fill(0x61);
            const view = backing.subarray(offset, offset + length);
            if (length > 0) view[place] = byte;
            const expected = c1.test(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("latin1"));
            expect(hasC1Byte(view), `byte ${byte} at ${place} of ${length}, offset ${offset}`).toBe(expected);
            compared += 1;
          }
    expect(compared).toBeGreaterThan(90_000);
  });

  it("finds a C1 byte beside others of 0x80 and above in the same word", () => {
    expect(hasC1Byte(Uint8Array.from([0xe6, 0xf8, 0xe5, 0xa0, 0xe6, 0xf8, 0x80, 0xa0]))).toBe(true);
    expect(hasC1Byte(Uint8Array.from([0xe6, 0xf8, 0xe5, 0xa0, 0xe6, 0xf8, 0x7f, 0xbf]))).toBe(false);
  });
});
