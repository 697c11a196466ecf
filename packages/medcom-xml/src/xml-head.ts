/**
 * A forward-only reader of XML markup for the head of a document: start tags, end tags and text, one at a time,
 * without building a tree or checking the rest of the document. What the gateway needs to admit a letter (its
 * id and kind) sits in the first few hundred bytes; the full, validating parse (xml-tree.ts) is intake's.
 *
 * It follows only plain markup: a DOCTYPE, an unterminated tag or comment ends the reading (`undefined`), and
 * the caller gives what it read so far. Names are local (the prefix split off), as the full parser has them.
 */
export type XmlHeadToken =
  | { kind: "open"; name: string; prefix: string | undefined; tag: string; selfClosing: boolean }
  | { kind: "close"; name: string }
  | { kind: "text"; text: string };

export class XmlHeadReader {
  readonly #text: string;
  #position = 0;

  constructor(text: string) {
    this.#text = text;
  }

  /** The next start tag, end tag or text; undefined at the end or where the reader stops following. */
  next(): XmlHeadToken | undefined {
    const text = this.#text;
    for (;;) {
      const start = this.#position;
      if (start >= text.length) return undefined;
      if (text.charCodeAt(start) !== 0x3c /* < */) {
        const end = text.indexOf("<", start);
        this.#position = end < 0 ? text.length : end;
        return { kind: "text", text: text.slice(start, this.#position) };
      }
      const marker = text.charCodeAt(start + 1);
      if (marker === 0x3f /* ? */) {
        if (!this.#skipPast("?>", start + 2)) return undefined;
        continue;
      }
      if (marker === 0x21 /* ! */) {
        if (text.startsWith("<!--", start)) {
          if (!this.#skipPast("-->", start + 4)) return undefined;
          continue;
        }
        if (text.startsWith("<![CDATA[", start)) {
          const end = text.indexOf("]]>", start + 9);
          if (end < 0) return undefined;
          this.#position = end + 3;
          return { kind: "text", text: text.slice(start + 9, end) };
        }
        return undefined; // DOCTYPE or ENTITY: the full parse refuses the document
      }
      if (marker === 0x2f /* / */) {
        const end = text.indexOf(">", start + 2);
        if (end < 0) return undefined;
        this.#position = end + 1;
        return { kind: "close", name: localName(text.slice(start + 2, end).trim()) };
      }
      const end = tagEnd(text, start + 1);
      if (end < 0) return undefined;
      this.#position = end + 1;
      const selfClosing = text.charCodeAt(end - 1) === 0x2f;
      const tag = text.slice(start, end + 1);
      const qualified = /^<([^\s/>]+)/.exec(tag)?.[1];
      if (qualified === undefined) return undefined;
      const colon = qualified.indexOf(":");
      return {
        kind: "open",
        name: colon < 0 ? qualified : qualified.slice(colon + 1),
        prefix: colon < 0 ? undefined : qualified.slice(0, colon),
        tag,
        selfClosing,
      };
    }
  }

  #skipPast(terminator: string, from: number): boolean {
    const end = this.#text.indexOf(terminator, from);
    if (end < 0) return false;
    this.#position = end + terminator.length;
    return true;
  }
}

/** The `>` that ends a start tag, outside quoted attribute values; -1 when there is none. */
function tagEnd(text: string, from: number): number {
  let quote = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x3e) return i;
    else if (c === 0x3c) return -1;
  }
  return -1;
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(":");
  return colon < 0 ? qualified : qualified.slice(colon + 1);
}

/**
 * The raw value of attribute `name` (the qualified name as written) in a start tag as the reader gives it
 * (`<tag a="1" b='2'/>`): the first occurrence, entity references not decoded; undefined when the tag does not
 * have it or the attributes are not plain `name="value"` pairs (the full parse refuses such a tag). Scans the
 * pairs, so a name inside another attribute's value is not taken for an attribute.
 */
export function attributeOf(tag: string, name: string): string | undefined {
  let i = 1;
  while (i < tag.length && !isSpace(tag.charCodeAt(i)) && tag[i] !== "/" && tag[i] !== ">") i++;
  for (;;) {
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    const start = i;
    while (i < tag.length && !isSpace(tag.charCodeAt(i)) && tag[i] !== "=" && tag[i] !== "/" && tag[i] !== ">") i++;
    if (i === start) return undefined; // the end of the tag, or a stray character
    const attribute = tag.slice(start, i);
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    if (tag[i] !== "=") return undefined;
    i += 1;
    while (i < tag.length && isSpace(tag.charCodeAt(i))) i++;
    const quote = tag[i];
    if (quote !== '"' && quote !== "'") return undefined;
    const end = tag.indexOf(quote, i + 1);
    if (end < 0) return undefined;
    if (attribute === name) return tag.slice(i + 1, end);
    i = end + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The namespace a start tag declares for its own prefix (or the default one), as xml-tree.ts reads the root's. */
export function declaredNamespace(tag: string, prefix: string | undefined): string | undefined {
  const attribute = prefix === undefined ? "xmlns" : `xmlns:${prefix}`;
  let pattern = namespacePatterns.get(attribute);
  if (pattern === undefined) {
    const escaped = attribute.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    pattern = new RegExp(`\\s${escaped}\\s*=\\s*(["'])(.*?)\\1`);
    // Prefixes come from the message: keep a bounded number of compiled patterns.
    if (namespacePatterns.size < 64) namespacePatterns.set(attribute, pattern);
  }
  return pattern.exec(tag)?.[2];
}

const namespacePatterns = new Map<string, RegExp>();
