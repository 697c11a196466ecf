import type { ValidationIssue } from "@carehub/schemas";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { oioxmlIssue } from "./issue.ts";
import { buildXmlTree } from "./xml-tree-builder.ts";

/**
 * An element as fast-xml-parser gives it with `isArray` on for every element: a leaf is its text, anything
 * else an object of child name → list of children (plus "#text" for mixed content).
 */
export type XmlElement = string | XmlObject;
export interface XmlObject {
  readonly [name: string]: unknown;
}

/** The declarations a letter may not hold (after `<!`). */
const DECLARATIONS = "DOCTYPE|ENTITY";
// The five predefined entities and character references are all XML allows without a DTD (after `&`, before `;`).
const DEFINED_ENTITIES = "lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}";

export const FORBIDDEN_DECLARATION = new RegExp(`<!(?:${DECLARATIONS})`, "i");
export const UNDEFINED_ENTITY = new RegExp(`&(?!(?:${DEFINED_ENTITIES});)`);

/** What a letter's text holds that the hub refuses before reading it: a DOCTYPE or ENTITY declaration first. */
export type ForbiddenMarkup = "declaration" | "undefined-entity" | "none";

/** FORBIDDEN_DECLARATION and UNDEFINED_ENTITY past their first character, tried only where it stands. */
const DECLARATION_AFTER = new RegExp(DECLARATIONS, "iy");
const DEFINED_ENTITY_AFTER = new RegExp(`(?:${DEFINED_ENTITIES});`, "y");

/**
 * The two linear scans every reading of a letter starts with (no tree, nothing expanded): FORBIDDEN_DECLARATION's
 * and UNDEFINED_ENTITY's answers, found by `indexOf` of `<!` and `&`, which a letter holds few of, and the rest of
 * each expression tried there: the expressions alone stepped through every character (~5 % of a letter's reading,
 * decision 0125).
 */
export function forbiddenMarkup(text: string): ForbiddenMarkup {
  for (let at = text.indexOf("<!"); at !== -1; at = text.indexOf("<!", at + 2)) {
    DECLARATION_AFTER.lastIndex = at + 2;
    if (DECLARATION_AFTER.test(text)) return "declaration";
  }
  for (let at = text.indexOf("&"); at !== -1; at = text.indexOf("&", at + 1)) {
    DEFINED_ENTITY_AFTER.lastIndex = at + 1;
    if (!DEFINED_ENTITY_AFTER.test(text)) return "undefined-entity";
  }
  return "none";
}

/**
 * <Break/> is MedCom's line break inside text; as a character reference it survives as a newline. forbiddenMarkup's
 * answer holds for the text after this too (parseXmlTree takes it): no match of either scan can hold or border
 * `<Break/>` or `&#10;` — a declaration's characters are none of `&#10;`'s, and `<Break/>` shares with `<!DOCTYPE`
 * only an `e` after `r`, never after `P`; an `&` followed by `<` is undefined, and so is one followed by `&`
 * (xml-tree-builder.test.ts holds it).
 */
export function breaksAsNewlines(text: string): string {
  return text.includes("<Break/>") ? text.replaceAll("<Break/>", "&#10;") : text;
}

const scanned = new WeakMap<object, { text: string; found: ForbiddenMarkup }>();

/**
 * forbiddenMarkup of a decoded letter's text, scanned once for every reading given the same decoding: intake's
 * header read and full parse share one (decision 0112; the two scans were ~10 µs of a 2.7 KB letter, twice). The
 * answer is reused only for the very text it was scanned from: a decoding object whose text was replaced since is
 * scanned again (a string comparison of the same string is one pointer check).
 */
export function forbiddenMarkupOf(decoded: { readonly text: string }): ForbiddenMarkup {
  const cached = scanned.get(decoded);
  if (cached !== undefined && cached.text === decoded.text) return cached.found;
  const found = forbiddenMarkup(decoded.text);
  scanned.set(decoded, { text: decoded.text, found });
  return found;
}

const parsers = new Map<number, XMLParser>();

function parserFor(maxDepth: number): XMLParser {
  let parser = parsers.get(maxDepth);
  if (parser === undefined) {
    parser = new XMLParser({
      removeNSPrefix: true,
      // No entity expansion at all: the predefined ones are decoded by `textOf`, DOCTYPE is refused earlier.
      processEntities: false,
      htmlEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      ignoreAttributes: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      trimValues: true,
      maxNestedTags: maxDepth,
      // Callbacks get the live matcher instead of a freshly built path string: ~10 % of the parse time.
      jPath: false,
      isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
    });
    parsers.set(maxDepth, parser);
  }
  return parser;
}

export type TreeResult =
  | { ok: true; rootName: string; root: XmlElement; namespace: string | undefined }
  | { ok: false; issue: ValidationIssue };

/**
 * Parses XML text safely: DOCTYPE/ENTITY declarations and undefined entities are refused before any parsing
 * (`markup`: forbiddenMarkup of this text, or of the text breaksAsNewlines made it from),
 * well-formedness is checked, nesting is bounded. Throws nothing. A letter the tree builder checks itself is
 * not passed through XMLValidator as well (decision 0106); anything else is, and is refused with its message.
 */
export function parseXmlTree(
  text: string,
  maxDepth: number,
  markup: ForbiddenMarkup = forbiddenMarkup(text),
): TreeResult {
  if (markup === "declaration") {
    return {
      ok: false,
      issue: oioxmlIssue(
        OIOXML_ERROR_CODES.DOCTYPE_FORBIDDEN,
        "",
        "DOCTYPE and ENTITY declarations are not allowed in a MedCom letter",
      ),
    };
  }
  if (markup === "undefined-entity") {
    return {
      ok: false,
      issue: oioxmlIssue(
        OIOXML_ERROR_CODES.NOT_WELL_FORMED,
        "",
        "the XML uses an entity reference that is not defined (only &lt; &gt; &amp; &quot; &apos; and character references are allowed)",
      ),
    };
  }
  // Well-formedness checked in the tree's own pass; XMLValidator (and its message) only for what that leaves.
  const checked = buildXmlTree(text, maxDepth, true);
  if (checked !== undefined && "document" in checked) return treeOf(text, checked.document);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // Only the error code and position: fast-xml-parser's message may quote document content.
    const { code, line, col } = valid.err;
    return {
      ok: false,
      issue: oioxmlIssue(
        OIOXML_ERROR_CODES.NOT_WELL_FORMED,
        "",
        `the XML is not well-formed (${code} at line ${line}, column ${col})`,
      ),
    };
  }
  const built = buildXmlTree(text, maxDepth);
  const parsed = built ?? parseWithFastXmlParser(text, maxDepth);
  if ("failure" in parsed) {
    return {
      ok: false,
      issue:
        parsed.failure === "too-deep"
          ? oioxmlIssue(OIOXML_ERROR_CODES.TOO_DEEP, "", `elements are nested deeper than ${maxDepth} levels`)
          : oioxmlIssue(
              OIOXML_ERROR_CODES.NOT_WELL_FORMED,
              "",
              parsed.failure === "forbidden-name"
                ? "the XML uses an element name that is not allowed"
                : "the XML could not be parsed",
            ),
    };
  }
  return treeOf(text, parsed.document);
}

/** The document's one root element, or the issue when it has none or several. */
function treeOf(text: string, document: XmlObject): TreeResult {
  const roots = Object.keys(document);
  const rootName = roots[0];
  const rootList = rootName === undefined ? undefined : document[rootName];
  if (roots.length !== 1 || rootName === undefined || !Array.isArray(rootList) || rootList.length !== 1) {
    return {
      ok: false,
      issue: oioxmlIssue(OIOXML_ERROR_CODES.NOT_WELL_FORMED, "", "an XML document has exactly one root element"),
    };
  }
  return { ok: true, rootName, root: rootList[0] as XmlElement, namespace: rootNamespace(text, rootName) };
}

/** The namespace URI of the root element (prefixed or default), read from its start tag. */
function rootNamespace(text: string, localName: string): string | undefined {
  const start = new RegExp(`<(?:([A-Za-z_][\\w.-]*):)?${localName}[\\s/>]`).exec(text);
  if (!start) return undefined;
  const end = text.indexOf(">", start.index);
  const tag = text.slice(start.index, end < 0 ? undefined : end);
  const prefix = start[1];
  const attribute = prefix === undefined ? "xmlns" : `xmlns:${prefix}`;
  const match = new RegExp(`\\s${attribute.replace(".", "\\.")}\\s*=\\s*(["'])(.*?)\\1`).exec(tag);
  return match?.[2];
}

function isObject(element: XmlElement | undefined): element is XmlObject {
  return typeof element === "object" && element !== null;
}

/** All children of that name (own properties only, so "constructor" and friends are just names). */
export function childrenOf(element: XmlElement | undefined, name: string): XmlElement[] {
  if (!isObject(element) || !Object.hasOwn(element, name)) return [];
  const list = element[name];
  return Array.isArray(list) ? (list as XmlElement[]) : [];
}

export function childOf(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return childrenOf(element, name)[0];
}

/** Names of the element children of an element, in document order of first appearance. */
export function childNames(element: XmlElement | undefined): string[] {
  if (!isObject(element)) return [];
  return Object.keys(element).filter((k) => k !== "#text");
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeReferences(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const codePoint = name[1] === "x" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
    }
    return PREDEFINED[name] ?? whole;
  });
}

/** The trimmed text of an element with entity and character references decoded; undefined when empty. */
export function textOf(element: XmlElement | undefined): string | undefined {
  let raw: unknown = element;
  if (isObject(element)) raw = Object.hasOwn(element, "#text") ? element["#text"] : undefined;
  if (typeof raw !== "string") return undefined;
  const value = decodeReferences(raw).trim();
  return value === "" ? undefined : value;
}

/** Text of the first element down a path of child names. */
export function textAt(element: XmlElement | undefined, ...names: string[]): string | undefined {
  let current = element;
  for (const name of names) current = childOf(current, name);
  return textOf(current);
}

/** fast-xml-parser's own parse: what xml-tree-builder.ts does not read itself (it says so with `undefined`). */
export function parseWithFastXmlParser(
  text: string,
  maxDepth: number,
): { document: XmlObject } | { failure: "too-deep" | "forbidden-name" | "unreadable" } {
  try {
    return { document: parserFor(maxDepth).parse(text) as XmlObject };
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (message.includes("nested tags")) return { failure: "too-deep" };
    return { failure: message.includes("SECURITY") ? "forbidden-name" : "unreadable" };
  }
}
