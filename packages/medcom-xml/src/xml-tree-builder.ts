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
    pending += text.slice(i, lt);
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
      const close = tagEnd(text, lt + 1);
      if (close === -1) return undefined;
      const tag = readOpeningTag(text, lt + 1, close);
      if (tag === undefined) return undefined;
      if (checked) {
        if (!wellFormedOpeningTag(text, lt + 1, close)) return undefined;
        if (current === root) {
          // XMLValidator lets a self-closing root be followed by another root; this check does not.
          if (rootSeen || tag.selfClosing) return undefined;
          rootSeen = true;
        }
      }
      if (REFUSED_NAMES.has(tag.name)) return { failure: "forbidden-name" };
      const name = RENAMED_NAMES.has(tag.name) ? `__${tag.name}` : tag.name;
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

/**
 * The element's name (namespace prefix removed), as written, and whether it closes itself (`<a/>`, `<a b="1" />`).
 */
function readOpeningTag(
  text: string,
  from: number,
  close: number,
): { name: string; raw: string; selfClosing: boolean } | undefined {
  const expression = text.slice(from, close);
  const separator = expression.search(/\s/);
  let name = separator === -1 ? expression : expression.slice(0, separator);
  const rest = separator === -1 ? expression : expression.slice(separator + 1).trimStart();
  const selfClosing = rest.length > 0 && rest.charCodeAt(rest.length - 1) === SLASH;
  if (selfClosing && name.charCodeAt(name.length - 1) === SLASH) name = name.slice(0, -1);
  const raw = name;
  const colon = name.indexOf(":");
  if (colon !== -1) name = name.slice(colon + 1);
  return name.length === 0 ? undefined : { name, raw, selfClosing };
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
  return text.startsWith(raw, from) && isBlank(text, from + raw.length, close);
}

/** Attribute names kept in a list up to this many, then in a set. */
const FEW_ATTRIBUTES = 8;

/**
 * An opening tag from its name (`from`, past `<`) to its `>` (`close`): an ASCII name, then attributes, each
 * after white space, `name = "value"` or `'value'`, no name twice, then white space and `/` before `>` at most.
 */
function wellFormedOpeningTag(text: string, from: number, close: number): boolean {
  let at = nameEnd(text, from);
  if (at === from) return false;
  let names: string[] | Set<string> | undefined;
  for (;;) {
    if (at === close) return true;
    if (text.charCodeAt(at) === SLASH) return at + 1 === close;
    if (!isSpace(text.charCodeAt(at))) return false;
    while (isSpace(text.charCodeAt(at))) at++;
    if (at === close) return true;
    if (text.charCodeAt(at) === SLASH) return at + 1 === close;
    const nameStart = at;
    at = nameEnd(text, at);
    if (at === nameStart) return false;
    const name = text.slice(nameStart, at);
    // A short list for the usual few attributes, a set past them: a sender's element with 200,000 attributes must
    // cost linear time, not a search of the list per attribute (parse-oioxml.hostile.test.ts).
    if (names === undefined) names = [name];
    else if (Array.isArray(names)) {
      if (names.includes(name)) return false;
      names.push(name);
      if (names.length > FEW_ATTRIBUTES) names = new Set(names);
    } else if (names.has(name)) return false;
    else names.add(name);
    while (isSpace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) !== EQUALS) return false;
    at += 1;
    while (isSpace(text.charCodeAt(at))) at++;
    const quote = text.charCodeAt(at);
    if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return false;
    const end = text.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", at + 1);
    if (end === -1 || end > close) return false;
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
