/**
 * The tree of a well-formed document exactly as fast-xml-parser builds it with xml-tree.ts's options (namespace
 * prefixes removed, attributes, declarations, processing instructions and comments left out, text trimmed and
 * kept raw, every element a list), built in one pass over the text: fast-xml-parser's general parser cost about
 * 0.1–0.35 ms per 2.7 KB letter, most of all that intake spends on an OIOXML letter (ir15 round,
 * docs/performance.md). Unchecked, it is called only on text XMLValidator accepted; anything this reader does not
 * expect there (a declaration other than a comment or CDATA, a tag that does not close) gives `undefined`, and the
 * caller parses with fast-xml-parser instead. `xml-tree-builder.test.ts` holds it to fast-xml-parser's output.
 *
 * `checked`: the same pass also checks that the text is well-formed within a strict subset of what XMLValidator
 * accepts (ASCII names, a closing tag naming its opening tag, attributes `name="value"` each after white space and
 * none twice, one root element, nothing but white space and comments around it, a processing instruction only at
 * the very start, no byte order mark) and gives `undefined` for anything outside it, so the caller can skip
 * XMLValidator's own pass (~25 % of an OIOXML letter's parse; decision 0106) and fall back to it for the rest.
 * The caller must have refused `&` other than the predefined entities and character references (UNDEFINED_ENTITY):
 * XMLValidator's only check of text. A checked document is always one XMLValidator accepts
 * (`xml-tree-builder.test.ts`, also on mutated letters).
 */
export type BuiltTree =
  | { document: { readonly [name: string]: unknown } }
  | { failure: "too-deep" | "forbidden-name" }
  | undefined;

/** Names fast-xml-parser refuses (prototype pollution) and the ones it renames with a `__` prefix. */
const REFUSED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
const RENAMED_NAMES: ReadonlySet<string> = new Set([
  "hasOwnProperty",
  "toString",
  "valueOf",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

interface Frame {
  readonly name: string;
  /** The name as written (prefix kept), which the closing tag must repeat. */
  readonly raw: string;
  readonly children: Record<string, unknown[]>;
  text: string | undefined;
}

const SLASH = 47;
const QUESTION = 63;
const BANG = 33;
const DASH = 45;
const BRACKET = 91;
const GT = 62;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const EQUALS = 61;
const BOM = 0xfeff;

export function buildXmlTree(input: string, maxDepth: number, checked = false): BuiltTree {
  const text = input.includes("\r") ? input.replace(/\r\n?/g, "\n") : input;
  if (checked && text.charCodeAt(0) === BOM) return undefined;
  const root: Frame = { name: "!xml", raw: "", children: {}, text: undefined };
  let rootSeen = false;
  const stack: Frame[] = [];
  let current = root;
  // Text since the last tag; a comment neither ends it nor stores it (so text on both sides of one is joined).
  let pending = "";
  let i = 0;
  const length = text.length;
  while (i < length) {
    const lt = text.indexOf("<", i);
    if (lt === -1) break; // trailing text outside the root: never stored
    if (checked && current === root && !isBlank(text, i, lt)) return undefined;
    // Leading white space is trimmed anyway: most text between tags is indentation, not worth a copy.
    if (pending.length > 0 || !isBlank(text, i, lt)) pending += text.slice(i, lt);
    const next = text.charCodeAt(lt + 1);
    if (next === SLASH) {
      const close = text.indexOf(">", lt);
      if (close === -1) return undefined;
      if (checked && (current === root || !closes(text, lt + 2, close, current.raw))) return undefined;
      saveText(current, pending);
      pending = "";
      const parent = stack.pop() ?? root;
      if (current !== root) addChild(parent, current.name, elementValue(current));
      current = parent;
      i = close + 1;
    } else if (next === QUESTION) {
      const close = tagEnd(text, lt + 1, QUESTION);
      if (close === -1) return undefined;
      if (checked && !wellFormedInstruction(text, lt, close, current === root && !rootSeen)) return undefined;
      saveText(current, pending);
      pending = "";
      i = close + 2;
    } else if (next === BANG && text.charCodeAt(lt + 2) === DASH && text.charCodeAt(lt + 3) === DASH) {
      const close = text.indexOf("-->", lt + 4);
      if (close === -1) return undefined;
      i = close + 3;
    } else if (next === BANG && text.charCodeAt(lt + 2) === BRACKET) {
      if (!text.startsWith("<![CDATA[", lt)) return undefined;
      const close = text.indexOf("]]>", lt);
      if (close === -1) return undefined;
      if (checked && current === root) return undefined;
      saveText(current, pending);
      pending = "";
      // Kept as it is, untrimmed; an empty section adds nothing.
      current.text = current.text === undefined ? text.slice(lt + 9, close) : current.text + text.slice(lt + 9, close);
      i = close + 3;
    } else if (next === BANG) {
      return undefined;
    } else {
      const tag = checked ? checkedOpeningTag(text, lt + 1) : openingTag(text, lt + 1);
      if (tag === undefined) return undefined;
      const { close } = tag;
      if (checked && current === root) {
        // XMLValidator lets a self-closing root be followed by another root; this check does not.
        if (rootSeen || tag.selfClosing) return undefined;
        rootSeen = true;
      }
      if (tag.refused) return { failure: "forbidden-name" };
      const { name } = tag;
      if (current !== root) saveText(current, pending);
      pending = "";
      if (tag.selfClosing) {
        addChild(current, name, "");
      } else {
        if (stack.length > maxDepth) return { failure: "too-deep" };
        stack.push(current);
        current = { name, raw: tag.raw, children: {}, text: undefined };
      }
      i = close + 1;
    }
  }
  if (current !== root) return undefined; // an element left open: not what the validator passes
  if (checked && (!rootSeen || !isBlank(text, i, length))) return undefined;
  return { document: elementValue(root, true) as Record<string, unknown> };
}

/**
 * Where the tag starting at `from` ends (quoted values may hold `>`), or -1: the index of its `>`, or for a
 * processing instruction (`before` = `?`) the index of the `?` of its `?>`.
 */
function tagEnd(text: string, from: number, before?: number): number {
  for (let at = from; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE) {
      at = text.indexOf(code === DOUBLE_QUOTE ? '"' : "'", at + 1);
      if (at === -1) return -1;
    } else if (before === undefined ? code === GT : code === before && text.charCodeAt(at + 1) === GT) {
      return at;
    }
  }
  return -1;
}

/** An opening tag read: its element's name as the tree keys it, as written, and where the tag ends. */
interface OpeningTag {
  /** Namespace prefix removed, renamed as fast-xml-parser renames it. */
  readonly name: string;
  /** As written, prefix kept: what the closing tag must repeat. */
  readonly raw: string;
  /** A name fast-xml-parser refuses. */
  readonly refused: boolean;
  readonly selfClosing: boolean;
  /** The index of the tag's `>`. */
  readonly close: number;
}

/** An element name as written, and as the tree keys it. */
interface ElementName {
  readonly raw: string;
  readonly name: string;
  readonly refused: boolean;
}

function elementName(raw: string): ElementName {
  const colon = raw.indexOf(":");
  const local = colon === -1 ? raw : raw.slice(colon + 1);
  return { raw, name: RENAMED_NAMES.has(local) ? `__${local}` : local, refused: REFUSED_NAMES.has(local) };
}

/**
 * The element (namespace prefix removed), as written, whether it closes itself (`<a/>`, `<a b="1" />`) and where
 * it ends, or undefined when it does not end or has no name. XMLValidator has passed the text.
 */
function openingTag(text: string, from: number): OpeningTag | undefined {
  const close = tagEnd(text, from);
  if (close === -1) return undefined;
  const expression = text.slice(from, close);
  const separator = expression.search(/\s/);
  let raw = separator === -1 ? expression : expression.slice(0, separator);
  const rest = separator === -1 ? expression : expression.slice(separator + 1).trimStart();
  const selfClosing = rest.length > 0 && rest.charCodeAt(rest.length - 1) === SLASH;
  if (selfClosing && raw.charCodeAt(raw.length - 1) === SLASH) raw = raw.slice(0, -1);
  const name = elementName(raw);
  return name.name.length === 0
    ? undefined
    : { name: name.name, raw: name.raw, refused: name.refused, selfClosing, close };
}

/**
 * Element names met before, by length and first and last character, a few of each: a letter repeats a few dozen
 * names, so a tag's name is compared in place instead of copied, hashed for the name sets and looked up as a
 * property key each time (a third of the tree's pass, decision 0125). Bounded: a name longer than
 * LONGEST_REMEMBERED_NAME is never remembered, a group takes no more than NAMES_PER_GROUP names, and the whole is
 * dropped when it holds MAX_NAMES, so a sender's made-up names cost each tag at most a few comparisons and the
 * process at most 2,048 names of 64 characters (about 0.5 MB with their objects: 516 KB measured for 2,046 prefixed).
 */
const knownNames = new Map<number, ElementName[]>();
let knownNameCount = 0;
const NAMES_PER_GROUP = 4;
const MAX_NAMES = 2_048;
/**
 * The longest name remembered: the example letters' longest is 38 characters
 * (`LaboratoryInternalProductionIdentifier`). Without it a sender's letters, each with one long name of a length of
 * its own (a group of its own), would keep up to MAX_NAMES of them: 2 GB for names of 1 MB.
 */
export const LONGEST_REMEMBERED_NAME = 64;

function nameAt(text: string, from: number, end: number): ElementName {
  const length = end - from;
  if (length > LONGEST_REMEMBERED_NAME) return elementName(text.slice(from, end));
  // ASCII names only (nameEnd): the first and last character fit in 7 bits each, and the length (at most
  // LONGEST_REMEMBERED_NAME) above them. The length is compared again all the same.
  const group = (length << 14) | (text.charCodeAt(from) << 7) | text.charCodeAt(end - 1);
  const known = knownNames.get(group);
  if (known !== undefined)
    for (const candidate of known)
      if (candidate.raw.length === length && sameText(text, from, candidate.raw)) return candidate;
  if (known !== undefined && known.length >= NAMES_PER_GROUP) return elementName(text.slice(from, end));
  // Remembered as a copy: a slice of the letter may keep the whole letter's text alive with it.
  const found = elementName(Buffer.from(text.slice(from, end), "latin1").toString("latin1"));
  if (knownNameCount >= MAX_NAMES) {
    knownNames.clear();
    knownNameCount = 0;
  }
  const list = knownNames.get(group);
  if (list === undefined) knownNames.set(group, [found]);
  else list.push(found);
  knownNameCount += 1;
  return found;
}

/** How many element names are remembered now (for the bound's test). */
export function rememberedNameCount(): number {
  return knownNameCount;
}

/** Whether `text` holds `expected` at `from` (a loop: `startsWith` with a position cost more per closing tag). */
function sameText(text: string, from: number, expected: string): boolean {
  for (let k = 0; k < expected.length; k++) if (text.charCodeAt(from + k) !== expected.charCodeAt(k)) return false;
  return true;
}

/** XMLValidator's white space: space, tab, line feed, carriage return. */
function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let at = from; at < to; at++) if (!isSpace(text.charCodeAt(at))) return false;
  return true;
}

/** Where an ASCII XML name starting at `from` ends (`from` itself when there is none): `[A-Za-z_:][\w.:-]*`. */
function nameEnd(text: string, from: number): number {
  let at = from;
  for (; at < text.length; at++) {
    const code = text.charCodeAt(at) | 0x20; // ASCII letters to lower case
    const letter = code >= 97 && code <= 122;
    const raw = text.charCodeAt(at);
    if (letter || raw === 95 || raw === 58) continue; // _ :
    if (at > from && ((raw >= 48 && raw <= 57) || raw === 46 || raw === 45)) continue; // digits . -
    break;
  }
  return at;
}

/**
 * A processing instruction from its `<` (`lt`) to the `?` of its `?>` (`close`), checked only before the root
 * element: at the very start, or with an ASCII target other than `xml` followed by a space or `?`.
 * XMLValidator ends it at the first `?>`, quoted or not, and refuses `<?xml` anywhere but at the start.
 */
function wellFormedInstruction(text: string, lt: number, close: number, beforeRoot: boolean): boolean {
  if (!beforeRoot || text.indexOf("?>", lt + 2) !== close) return false;
  if (lt === 0) return true;
  const end = nameEnd(text, lt + 2);
  const after = text.charCodeAt(end);
  return end > lt + 2 && text.slice(lt + 2, end).toLowerCase() !== "xml" && (after === 32 || after === QUESTION);
}

/** `</raw>` with only white space before `>` (the closing tag's text runs from `from`, past `</`, to `close`). */
function closes(text: string, from: number, close: number, raw: string): boolean {
  return sameText(text, from, raw) && isBlank(text, from + raw.length, close);
}

/** Attribute names kept in a list up to this many, then in a set. */
const FEW_ATTRIBUTES = 8;

/**
 * An opening tag from its name (`from`, past `<`) to its `>`, read and checked in one pass: an ASCII name, then
 * attributes, each after white space, `name = "value"` or `'value'`, no name twice, then white space and `/`
 * before `>` at most; undefined for anything else. Its `>` is the first outside quotes, as tagEnd finds it, and
 * its name is the one openingTag reads (nothing but the name comes before the first white space or `/`).
 */
function checkedOpeningTag(text: string, from: number): OpeningTag | undefined {
  const end = nameEnd(text, from);
  if (end === from) return undefined;
  const close = checkedAttributesEnd(text, end);
  if (close === -1) return undefined;
  const name = nameAt(text, from, end);
  if (name.name.length === 0) return undefined; // `<x:>`: a prefix and no name
  const selfClosing = text.charCodeAt(close - 1) === SLASH;
  return { name: name.name, raw: name.raw, refused: name.refused, selfClosing, close };
}

/** The index of the `>` ending a tag's attributes from `from` (past the name), or -1 when they break the rules. */
function checkedAttributesEnd(text: string, from: number): number {
  let at = from;
  let names: string[] | Set<string> | undefined;
  for (;;) {
    if (text.charCodeAt(at) === GT) return at;
    if (text.charCodeAt(at) === SLASH) return text.charCodeAt(at + 1) === GT ? at + 1 : -1;
    if (!isSpace(text.charCodeAt(at))) return -1;
    while (isSpace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) === GT) return at;
    if (text.charCodeAt(at) === SLASH) return text.charCodeAt(at + 1) === GT ? at + 1 : -1;
    const nameStart = at;
    at = nameEnd(text, at);
    if (at === nameStart) return -1;
    const name = text.slice(nameStart, at);
    // A short list for the usual few attributes, a set past them: a sender's element with 200,000 attributes must
    // cost linear time, not a search of the list per attribute (parse-oioxml.hostile.test.ts).
    if (names === undefined) names = [name];
    else if (Array.isArray(names)) {
      if (names.includes(name)) return -1;
      names.push(name);
      if (names.length > FEW_ATTRIBUTES) names = new Set(names);
    } else if (names.has(name)) return -1;
    else names.add(name);
    while (isSpace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) !== EQUALS) return -1;
    at += 1;
    while (isSpace(text.charCodeAt(at))) at++;
    const quote = text.charCodeAt(at);
    if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return -1;
    const end = text.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", at + 1);
    if (end === -1) return -1;
    at = end + 1;
  }
}

function saveText(frame: Frame, pending: string): void {
  const trimmed = pending.trim();
  if (trimmed.length === 0) return;
  frame.text = frame.text === undefined ? trimmed : frame.text + trimmed;
}

function addChild(frame: Frame, name: string, value: unknown): void {
  const { children } = frame;
  if (children[name] !== undefined && Object.hasOwn(children, name)) children[name].push(value);
  else children[name] = [value];
}

/** An element's value: its text alone, "" when empty, else its children (and its text as `#text`). */
function elementValue(frame: Frame, isRoot = false): unknown {
  const { children, text } = frame;
  if (text !== undefined && text.length > 0) (children as Record<string, unknown>)["#text"] = text;
  if (isRoot) return children;
  const keys = Object.keys(children);
  if (keys.length === 0) return "";
  if (keys.length === 1 && text !== undefined && text.length > 0) return text;
  return children;
}
