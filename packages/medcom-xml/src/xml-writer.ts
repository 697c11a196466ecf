/**
 * A tiny XML writer for the letters carehub builds. Text is escaped; when the target encoding is
 * windows-1252, characters it cannot hold are written as character references, so the text always encodes.
 */
export type XmlEncoding = "UTF-8" | "windows-1252";

/** A node: element name with children, or a leaf with text. Undefined children are skipped. */
export type XmlNodeSpec = [name: string, children: string | Array<XmlNodeSpec | undefined>];

// The bytes 0x80–0x9F of windows-1252 that are not the Latin-1 code points of the same value.
const CP1252_EXTRA = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018,
  0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178,
]);

export function fitsWindows1252(codePoint: number): boolean {
  return codePoint < 0x80 || (codePoint >= 0xa0 && codePoint <= 0xff) || CP1252_EXTRA.has(codePoint);
}

/** Whether escapeText may change anything: markup, a control character, or a character past printable Latin-1. */
function needsEscaping(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 ? code !== 0x09 && code !== 0x0a && code !== 0x0d : code === 0x26 || code === 0x3c || code === 0x3e)
      return true;
    if (code >= 0x80 && (code < 0xa0 || code > 0xff)) return true;
  }
  return false;
}

export function escapeText(value: string, encoding: XmlEncoding): string {
  // Ids, codes and dates, most of what a letter holds, need nothing: the text as it is, without a copy.
  if (!needsEscaping(value)) return value;
  let out = "";
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === "&") out += "&amp;";
    else if (char === "<") out += "&lt;";
    else if (char === ">") out += "&gt;";
    else if (codePoint < 0x20 && char !== "\t" && char !== "\n" && char !== "\r")
      out += " "; // not allowed in XML 1.0
    else if (encoding === "windows-1252" && !fitsWindows1252(codePoint)) out += `&#${codePoint};`;
    else out += char;
  }
  return out;
}

function write(node: XmlNodeSpec, encoding: XmlEncoding): string {
  const [name, children] = node;
  if (typeof children === "string") return `<${name}>${escapeText(children, encoding)}</${name}>`;
  const inner = children
    .filter((child): child is XmlNodeSpec => child !== undefined)
    .map((child) => write(child, encoding))
    .join("");
  return `<${name}>${inner}</${name}>`;
}

/** The whole document: declaration, then the root element with its default namespace. */
export function writeDocument(root: XmlNodeSpec, namespace: string, encoding: XmlEncoding): string {
  const body = write(root, encoding);
  const rootName = root[0];
  return `<?xml version="1.0" encoding="${encoding}"?>\n<${rootName} xmlns="${namespace}">${body.slice(rootName.length + 2)}`;
}

/** Optional leaf: present only when the value is. */
export function leaf(name: string, value: string | undefined): XmlNodeSpec | undefined {
  return value === undefined ? undefined : [name, value];
}
