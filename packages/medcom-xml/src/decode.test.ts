import { describe, expect, it } from "vitest";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { decodeXmlBytes } from "./decode.ts";
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
