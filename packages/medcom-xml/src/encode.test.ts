import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeXmlText } from "./encode.ts";
import { escapeText } from "./xml-writer.ts";

const declaration = '<?xml version="1.0" encoding="windows-1252"?>';

/** windows-1252's bytes 0x80–0x9F that stand for characters past Latin-1 (€, „, “ …), by character. */
const CP1252 = new Map(
  Array.from({ length: 32 }, (_, i) => [new TextDecoder("windows-1252").decode(Uint8Array.of(0x80 + i)), 0x80 + i]),
);

/** The bytes the character-by-character rule gives, spelled out: what the fast paths must agree with. */
const expectedBytes = (text: string) =>
  Uint8Array.from(
    [...text].flatMap((char) => {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) return [code];
      const byte = code > 0xff ? CP1252.get(char) : undefined;
      if (byte !== undefined) return [byte];
      return [...Buffer.from(`&#${code};`, "latin1")];
    }),
  );

/**
 * Random text from the characters where a fast path's bounds lie: controls, DEL to U+0100 (C1 and Latin-1),
 * windows-1252's extras, markup, a combining mark, BOM and non-characters, lone surrogates of each kind, astral.
 */
const edgeText = (maxLength: number) =>
  fc
    .array(
      fc.constantFrom(
        ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
        ...Array.from({ length: 0x100 - 0x7f + 1 }, (_, i) => String.fromCharCode(0x7f + i)),
        ..."€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ",
        ..."aZ09 <>&;#\"'",
        ..."\u0300\ufeff\ufffe\uffff\ud800\udbff\udc00\udfff😀𝄞",
      ),
      { maxLength },
    )
    .map((chars) => chars.join(""));

describe("encodeXmlText", () => {
  it("writes Latin-1 text one byte per character", () => {
    const text = `${declaration}<a>Ærø 12 ½</a>`;
    const encoded = encodeXmlText(text);
    expect(encoded).toBeInstanceOf(Uint8Array);
    expect([...encoded]).toEqual([...Buffer.from(text, "latin1")]);
  });

  // Catches: a fast path that writes a C1 control character (U+0080–U+009F) as its own byte — windows-1252 reads
  // those bytes as € „ … and so on — or one that loses the text it wrote before falling back at the first
  // character it cannot write as it stands.
  it("falls back, keeping what came before, at a character that is not one byte as it stands", () => {
    for (const tail of ["\u0085 after", "€ “x” 😀 after", "😀"]) {
      const text = `${declaration}<a>Ærø ${tail}</a>`;
      expect([...encodeXmlText(text)]).toEqual([...expectedBytes(text)]);
    }
  });

  // Catches: a fast path whose stopping rule is off by one (`> 0x100` writes U+0100 as the byte 0x00) or that
  // mishandles a fallback at the first character it could write.
  it("falls back at the first character after the declaration, and at U+0100", () => {
    for (const body of ["\u0100", "\u0100x", "x\u0100", "\u0085x", "€x", "😀x", "\ud800x"]) {
      expect([...encodeXmlText(body)]).toEqual([...Buffer.from(body, "utf8")]);
      // The declaration comes first, so the earliest a windows-1252 text can fall back is just after it.
      const text = `${declaration}${body}`;
      expect([...encodeXmlText(text)]).toEqual([...expectedBytes(text)]);
    }
  });

  // Catches: any text on which the fast path and the character-by-character rule part ways (a stopping rule that
  // lets a C1 code point, a windows-1252 extra, a surrogate or U+0100 through as one byte, a lost prefix), and a
  // declaration read as the wrong encoding.
  it("writes what the character-by-character rule does, whatever the declaration and text", () => {
    const declarations: [string, "windows-1252" | "utf-8"][] = [
      ['<?xml version="1.0" encoding="windows-1252"?>', "windows-1252"],
      ['<?xml version="1.0" encoding="ISO-8859-1"?>', "windows-1252"],
      ["<?xml version='1.0' encoding='cp1252'?>", "windows-1252"],
      ['<?xml version="1.0" encoding="latin1"?>', "windows-1252"],
      ['<?xml version="1.0" encoding="UTF-8"?>', "utf-8"],
      ["", "utf-8"],
    ];
    const body = edgeText(40);
    fc.assert(
      fc.property(fc.constantFrom(...declarations), body, ([head, encoding], tail) => {
        const text = `${head}${tail}`;
        const expected = encoding === "utf-8" ? Buffer.from(text, "utf8") : expectedBytes(text);
        expect([...encodeXmlText(text)]).toEqual([...expected]);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The character-by-character rule escapeText keeps, spelled out: what its shortcut must agree with. */
const expectedEscape = (value: string, encoding: "UTF-8" | "windows-1252") =>
  [...value]
    .map((char) => {
      const code = char.codePointAt(0) ?? 0;
      if (char === "&") return "&amp;";
      if (char === "<") return "&lt;";
      if (char === ">") return "&gt;";
      if (code < 0x20 && !["\t", "\n", "\r"].includes(char)) return " ";
      if (encoding === "UTF-8") return char;
      if (code < 0x80 || (code >= 0xa0 && code <= 0xff) || (code > 0xff && CP1252.has(char))) return char;
      return `&#${code};`;
    })
    .join("");

describe("escapeText", () => {
  it("leaves plain text as it is", () => {
    expect(escapeText("80901082504859", "windows-1252")).toBe("80901082504859");
    expect(escapeText("Ærø 1½\t\r\n", "windows-1252")).toBe("Ærø 1½\t\r\n");
    expect(escapeText("x 😀 €", "UTF-8")).toBe("x 😀 €");
  });

  // Catches: a shortcut for text that needs nothing which lets one of the triggers through unescaped — markup
  // (a receipt that is not well-formed), a control character, a C1 code point or a character windows-1252 cannot
  // hold (not encodable) — each on its own, so no other trigger hides a missing one.
  it("escapes each thing that needs it, alone in the text", () => {
    expect(escapeText("x<y", "windows-1252")).toBe("x&lt;y");
    expect(escapeText("x>y", "windows-1252")).toBe("x&gt;y");
    expect(escapeText("x&y", "windows-1252")).toBe("x&amp;y");
    expect(escapeText("x>y", "UTF-8")).toBe("x&gt;y");
    expect(escapeText("\u0085", "windows-1252")).toBe("&#133;");
    expect(escapeText("\u0000", "windows-1252")).toBe(" ");
    expect(escapeText("a\u001fb", "UTF-8")).toBe("a b");
    expect(escapeText("\u0100", "windows-1252")).toBe("&#256;");
    expect(escapeText("😀", "windows-1252")).toBe("&#128512;");
    expect(escapeText("€", "windows-1252")).toBe("€");
  });

  // Catches: any text on which the shortcut and the character-by-character rule part ways.
  it("agrees with the character-by-character rule on any text", () => {
    const value = edgeText(12);
    fc.assert(
      fc.property(value, fc.constantFrom("UTF-8" as const, "windows-1252" as const), (text, encoding) => {
        expect(escapeText(text, encoding)).toBe(expectedEscape(text, encoding));
      }),
      { numRuns: 3000 },
    );
  });
});
