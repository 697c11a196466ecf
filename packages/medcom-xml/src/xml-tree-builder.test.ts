import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import fc from "fast-check";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  breaksAsNewlines,
  FORBIDDEN_DECLARATION,
  forbiddenMarkup,
  parseWithFastXmlParser,
  parseXmlTree,
  UNDEFINED_ENTITY,
} from "./xml-tree.ts";
import { buildXmlTree, LONGEST_REMEMBERED_NAME, rememberedNameCount } from "./xml-tree-builder.ts";

/** What parseXmlTree lets through to the tree builder. */
const admitted = (text: string) =>
  !FORBIDDEN_DECLARATION.test(text) && !UNDEFINED_ENTITY.test(text) && XMLValidator.validate(text) === true;

/** The builder's tree, key order included, is fast-xml-parser's; `undefined` (it hands the text over) is allowed. */
function expectSameTree(text: string, maxDepth = 100): "built" | "handed over" {
  const built = buildXmlTree(text, maxDepth);
  if (built === undefined) return "handed over";
  expect(JSON.stringify(built)).toBe(JSON.stringify(parseWithFastXmlParser(text, maxDepth)));
  return "built";
}

function xmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? xmlFiles(join(dir, entry.name)) : entry.name.endsWith(".xml") ? [join(dir, entry.name)] : [],
  );
}

describe("buildXmlTree", () => {
  it("builds fast-xml-parser's tree of every example letter and XML fixture itself", () => {
    const files = xmlFiles(join(medcomExamplesDir("oioxml"), "..", ".."));
    expect(files.length).toBeGreaterThan(50);
    let built = 0;
    for (const file of files) {
      for (const encoding of ["utf8", "latin1"] as const) {
        const text = readFileSync(file, encoding);
        if (!admitted(text)) continue;
        expect(expectSameTree(text), file).toBe("built");
        built += 1;
      }
    }
    expect(built).toBeGreaterThan(50);
  });

  it.each([
    ["text on both sides of a comment is one text", "<a>x<!-- c -->y<b/>z</a>"],
    ["mixed content: children, then the text joined", "<a> one <b>2</b> two <c/> three </a>"],
    ["repeated children are one list, in order", "<r><a>1</a><b/><a>2</a><a><c>3</c></a></r>"],
    ["namespace prefixes removed, on both tag forms", '<x:r xmlns:x="u"><x:a>1</x:a><y:b z="1"/><x:c/></x:r>'],
    ["self-closing with and without space and attributes", '<r><a/><b /><c d="1"/><e f="/" /></r>'],
    ["quoted > and / in attributes", '<r><a b="x>y" c=\'/\'>t</a><d e="a/"/></r>'],
    ["tabs and newlines inside tags", '<r\n\tx="1"><a\tb="2"\n/><c\n>t</c\n></r>'],
    ["CRLF and CR become LF in text", "<r><a>l1\r\nl2\rl3</a></r>"],
    [
      "CDATA kept untrimmed, joined with text; empty CDATA adds nothing",
      "<r><a> t <![CDATA[ c ]]></a><b><![CDATA[]]></b></r>",
    ],
    ["processing instructions end text, declarations dropped", '<?xml version="1.0"?>\n<r>a<?pi x?>b<?q "?>"?>c</r>'],
    ["a processing instruction before the root", "<?pi one?><?pi two?><r/>"],
    ["whitespace-only text dropped", "<r>\n  <a>  </a>\n  <b>\n</b>\n</r>"],
    ["entities kept as written", "<r><a>&lt;&amp;&#65;</a></r>"],
    ["names fast-xml-parser renames", "<r><toString>1</toString><valueOf/><hasOwnProperty>x</hasOwnProperty></r>"],
    ["a comment before and after the root", "<!-- a --><r>x</r><!-- b -->"],
    ["an element with text and one child", "<r>t<a/></r>"],
    ["an element holding only text", "<r>t</r>"],
  ])("%s", (_what, text) => {
    expect(admitted(text)).toBe(true);
    expect(expectSameTree(text)).toBe("built");
  });

  it.each([
    ["constructor", "<r><constructor>1</constructor></r>"],
    ["__proto__, self-closing", "<r><__proto__/></r>"],
    ["prototype behind a prefix", "<r><x:prototype>1</x:prototype></r>"],
  ])("refuses the element name %s as fast-xml-parser does", (_what, text) => {
    expect(buildXmlTree(text, 100)).toEqual({ failure: "forbidden-name" });
    expect(parseWithFastXmlParser(text, 100)).toEqual({ failure: "forbidden-name" });
  });

  it("bounds nesting where fast-xml-parser does (self-closing elements one deeper)", () => {
    const nested = (depth: number, leaf: string) => `${"<a>".repeat(depth)}${leaf}${"</a>".repeat(depth)}`;
    for (const text of [nested(3, "x"), nested(4, "x"), nested(5, "x"), nested(4, "<b/>"), nested(5, "<b/>")]) {
      expect(JSON.stringify(buildXmlTree(text, 3))).toBe(JSON.stringify(parseWithFastXmlParser(text, 3)));
    }
    expect(buildXmlTree(nested(5, "x"), 3)).toEqual({ failure: "too-deep" });
  });

  it("agrees with fast-xml-parser on generated documents", () => {
    const name = fc.constantFrom("a", "b", "x:a", "y:c", "toString", "Letter", "ns:Letter");
    const text = fc.constantFrom("", " ", "t", " u v ", "\r\n", "\t", "&amp;", ">", "a\r\nb", "æø");
    const attribute = fc.constantFrom("", ' k="1"', " k='>/'", ' xmlns:x="urn:x"', '\tk="a"\n');
    const extra = fc.constantFrom("<!-- c -->", "<![CDATA[ d ]]>", "<![CDATA[]]>", "<?pi p?>", "");
    const element: fc.Memo<string> = fc.memo((depth) =>
      fc.oneof(
        fc.tuple(name, attribute, fc.constantFrom("/>", " />")).map(([n, a, end]) => `<${n}${a}${end}`),
        fc
          .tuple(
            name,
            attribute,
            fc.array(fc.oneof(text, extra, depth > 1 ? element(depth - 1) : text), { maxLength: 5 }),
          )
          .map(([n, a, content]) => `<${n}${a}>${content.join("")}</${n}>`),
      ),
    );
    let built = 0;
    fc.assert(
      fc.property(element(5), text, fc.integer({ min: 1, max: 6 }), (root, around, maxDepth) => {
        const document = `${around}${root}${around}`;
        if (!admitted(document)) return;
        if (expectSameTree(document, maxDepth) === "built") built += 1;
      }),
      { numRuns: 2_000 },
    );
    expect(built).toBeGreaterThan(500);
  });
});

/** What parseXmlTree checks before it builds: no DOCTYPE, no `&` but the predefined entities and references. */
const screened = (text: string) => !FORBIDDEN_DECLARATION.test(text) && !UNDEFINED_ENTITY.test(text);

/** Made-up names read until the name memory is dropped, so that a test starts with it all but empty. */
function dropRememberedNames(): void {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let last = rememberedNameCount();
  // 52 × 52 groups of names of one length: room for more names than the memory holds.
  for (let i = 0; i < 10_000; i++) {
    const [head, tail] = [letters.charAt(i % 52), letters.charAt(Math.floor(i / 52) % 52)];
    const name = `${head}_${i.toString(36).padStart(4, "0")}${tail}`;
    expect(buildXmlTree(`<${name}>t</${name}>`, 100, true)).toBeDefined();
    const now = rememberedNameCount();
    if (now < last) return;
    last = now;
  }
  throw new Error("the name memory was never dropped");
}

/**
 * The checked build lets through only what XMLValidator accepts, with the tree the unchecked path gives; what it
 * does not check is left to XMLValidator (`undefined` or a failure). Returns whether it checked the text itself.
 */
function expectCheckedSubset(text: string, maxDepth = 100): boolean {
  const checked = buildXmlTree(text, maxDepth, true);
  if (checked === undefined || !("document" in checked)) return false;
  expect(XMLValidator.validate(text), text).toBe(true);
  const unchecked = buildXmlTree(text, maxDepth) ?? parseWithFastXmlParser(text, maxDepth);
  expect(JSON.stringify(checked)).toBe(JSON.stringify(unchecked));
  return true;
}

describe("buildXmlTree, checked (well-formedness in the same pass, decision 0106)", () => {
  const letters = xmlFiles(join(medcomExamplesDir("oioxml"), "..", ".."))
    .map((file) => readFileSync(file, "latin1"))
    .filter(admitted);

  it("checks every example letter and XML fixture itself: XMLValidator's pass is skipped for them", () => {
    expect(letters.length).toBeGreaterThan(50);
    for (const text of letters) expect(expectCheckedSubset(text)).toBe(true);
  });

  it.each([
    ["a closing tag naming another element", "<r><a>1</b></r>"],
    ["a closing tag naming the element without its prefix", "<x:r><x:a>1</a></x:r>"],
    ["a closing tag with a longer name", "<r><a>1</ab></r>"],
    ["a closing tag with attributes", '<r><a>1</a k="1"></r>'],
    ["a closing tag that was never opened", "<r/></r>"],
    ["an attribute twice", '<r><a k="1" k="2"/></r>'],
    ["an attribute with no space before it", '<r><a k="1"j="2"/></r>'],
    ["an attribute without a value", "<r><a k/></r>"],
    ["an attribute with = but no value", "<r><a k=>t</a></r>"],
    ["an unquoted value", "<r><a k=1>t</a></r>"],
    ["a tag with a space after <", "<r>< a/></r>"],
    ["an element name starting with a digit", "<r><1a/></r>"],
    ["a slash inside the name", "<r><a/b>t</a/b></r>"],
    ["text before the root", "x<r/>"],
    ["text after the root", "<r></r>x"],
    ["a second root", "<r></r><s></s>"],
    ["an XML declaration after the start", '<!-- c --><?xml version="1.0"?><r></r>'],
    ["an XML declaration after another instruction", '<?pi x?>\n<?xml version="1.0"?><r></r>'],
    ["an element left open", "<r><a></r>"],
    ["no element at all", "   "],
  ])("leaves %s to XMLValidator, which refuses it", (_what, text) => {
    expect(XMLValidator.validate(text)).not.toBe(true);
    expect(buildXmlTree(text, 100, true)).toBeUndefined();
    const tree = parseXmlTree(text, 100);
    expect(tree.ok).toBe(false);
    if (!tree.ok) expect(tree.issue.message).toMatch(/^the XML is not well-formed \(\w+ at line \d+, column \w+\)$/);
  });

  it.each([
    ["a self-closing root", "<r/>"],
    ["a byte order mark", "\uFEFF<r></r>"],
    ["a processing instruction inside the root", "<r><?pi x?></r>"],
    ["a processing instruction after the root", "<r></r><?pi x?>"],
    ["a processing instruction with a quoted ?>", '<?pi a="?>"?><r></r>'],
    ["CDATA outside the root", "<![CDATA[x]]><r></r>"],
    ["a name outside ASCII", "<r><æ>1</æ></r>"],
  ])("leaves %s to XMLValidator, though it may accept it", (_what, text) => {
    expect(buildXmlTree(text, 100, true)).toBeUndefined();
  });

  it("agrees with XMLValidator on 3,000 mutations of real letters", { timeout: 60_000 }, () => {
    const seeds = letters.slice(0, 12);
    const piece = fc.constantFrom(
      "<",
      ">",
      "/",
      '"',
      "'",
      "=",
      " ",
      "\n",
      "a",
      ":",
      "!",
      "?",
      "</a>",
      "<a>",
      'k="1"',
      "-->",
    );
    const mutation = fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(piece, fc.constant("")));
    let checked = 0;
    let left = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (seed, edits) => {
          let text = seeds[seed] ?? "";
          for (const [at, cut, insert] of edits) {
            const from = at % (text.length + 1);
            text = text.slice(0, from) + insert + text.slice(from + (insert === "" ? cut % 8 : 0));
          }
          if (!screened(text)) return;
          if (expectCheckedSubset(text)) checked += 1;
          else left += 1;
        },
      ),
      { numRuns: 3_000, seed: 20_261_207 },
    );
    // Both sides seen: the mutations reach the checks, and the check does not refuse what is merely unusual.
    expect(checked).toBeGreaterThan(300);
    expect(left).toBeGreaterThan(300);
  });

  // Element names are remembered across documents by length and first and last character, a few per group, and
  // compared in place (decision 0125). Catches a name taken from its group without comparing it (`<aba>` read as
  // an `<aca>` met before), a group or the whole grown past its bound, a prefix kept or dropped by the wrong
  // remembered name (`x:aa` after `y:aa`), and the names fast-xml-parser refuses or renames remembered wrongly.
  it("keeps names apart that share a length and their first and last character, across documents", () => {
    const family = ["aba", "aca", "ada", "aea", "afa", "aga", "x:aa", "y:aa", "x:ba", "a.a", "a-a", "toString"];
    const document = fc
      .array(fc.tuple(fc.constantFrom(...family), fc.constantFrom("", "t", "<b/>")), { minLength: 1, maxLength: 12 })
      .map((children) => `<r xmlns:x="u" xmlns:y="v">${children.map(([n, c]) => `<${n}>${c}</${n}>`).join("")}</r>`);
    let checked = 0;
    fc.assert(
      fc.property(document, (text) => {
        if (expectCheckedSubset(text)) checked += 1;
      }),
      { numRuns: 1_000, seed: 125 },
    );
    expect(checked).toBe(1_000);
    expect(buildXmlTree("<r><aba>1</aba><constructor/></r>", 100, true)).toEqual({ failure: "forbidden-name" });
  });

  // Catches a group's name taken for a longer one that begins with it: a length of 2^18 + 2 wraps onto 2's group.
  it("keeps a name of more than 2^18 characters apart from a short one of its group", () => {
    const long = `ab${"x".repeat(2 ** 18 - 1)}b`;
    expect(expectCheckedSubset(`<r><ab/><${long}/><ab>t</ab></r>`)).toBe(true);
  });

  // Catches a remembered name that is a slice of its letter: V8 keeps the whole text a slice was cut from alive, so
  // 40 letters of 1 MB, each with a name of its own, would stay in memory for as long as their names are remembered.
  it("keeps no letter's text alive through the names it remembers", () => {
    setFlagsFromString("--expose-gc");
    const collect = runInNewContext("gc") as () => void;
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 40; k++) {
      // Each in a group of its own (a first character of its own); prefixed, as a name used as a property key may be
      // replaced by V8's own copy, but the name as written is only compared.
      const name = `${"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN".charAt(k)}:LongElementName${k}`;
      const text = `<r><${name}>t</${name}>${"<a>padding</a>".repeat(75_000)}</r>`;
      expect(buildXmlTree(text, 100, true)).toBeDefined();
    }
    collect();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(20 * 1024 * 1024);
  });

  // Catches a memory a sender grows without bound with made-up names (every group, or one group, unbounded).
  it("reads names right after more distinct names than it remembers, and remembers no more than its bound", () => {
    const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const letter = (k: number) => letters.charAt(k % letters.length);
    // Spread over many groups: first and last character and length all vary.
    const names = Array.from(
      { length: 6_000 },
      (_, i) => `${letter(i)}${i.toString(36)}${letter(Math.floor(i / letters.length))}`,
    );
    for (let start = 0; start < names.length; start += 500) {
      const text = `<r>${names
        .slice(start, start + 500)
        .map((n) => `<${n}>${n}</${n}>`)
        .join("")}<aba/><aca/></r>`;
      expect(expectCheckedSubset(text)).toBe(true);
      expect(rememberedNameCount()).toBeLessThanOrEqual(2_048);
    }
    // Started all but empty, so that the memory is not dropped midway (a group without a limit would show as less).
    dropRememberedNames();
    const before = rememberedNameCount();
    const oneGroup = Array.from({ length: 50 }, (_, i) => `q${String(i).padStart(3, "0")}q`);
    expect(expectCheckedSubset(`<r>${oneGroup.map((n) => `<${n}/>`).join("")}</r>`)).toBe(true);
    expect(rememberedNameCount() - before).toBeGreaterThanOrEqual(0);
    expect(rememberedNameCount() - before).toBeLessThanOrEqual(4 + 1); // the group's few, and `r`
  });

  // Catches a long name remembered: 2,048 letters with a name of 1 MB each (each of its own length, so of a group of
  // its own) would keep 2 GB in memory.
  it("remembers no long name, and remembers a name as long as its bound", () => {
    dropRememberedNames();
    const before = rememberedNameCount();
    for (const length of [LONGEST_REMEMBERED_NAME + 1, 1_000_000]) {
      const long = `L${"o".repeat(length - 2)}g`;
      expect(expectCheckedSubset(`<${long}>t</${long}>`)).toBe(true);
      expect(rememberedNameCount()).toBe(before);
    }
    const longest = `L${"o".repeat(LONGEST_REMEMBERED_NAME - 2)}g`;
    expect(expectCheckedSubset(`<${longest}>t</${longest}>`)).toBe(true);
    expect(rememberedNameCount()).toBe(before + 1);
  });

  it("agrees with XMLValidator on generated near-XML", () => {
    const token = fc.constantFrom(
      "<a>",
      "</a>",
      "<b>",
      "</b>",
      "<x:a>",
      "</x:a>",
      "<a/>",
      "<a />",
      '<a k="1">',
      '<a k="1" k="2">',
      "<a k='>'>",
      '<a k="1"j="2">',
      "<a k>",
      "</a >",
      "</a k>",
      "t",
      " ",
      "\n",
      "<!-- c -->",
      "<![CDATA[d]]>",
      "<?pi?>",
      "&amp;",
      '<?xml version="1.0"?>',
      "<r>",
      "</r>",
    );
    let checked = 0;
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), fc.constantFrom("", "\n", "x"), (tokens, around) => {
        const text = `${around}<r>${tokens.join("")}</r>${around}`;
        if (expectCheckedSubset(text, 4)) checked += 1;
      }),
      { numRuns: 10_000, seed: 7 },
    );
    expect(checked).toBeGreaterThan(200);
  });
});

describe("forbiddenMarkup across breaksAsNewlines (decision 0112)", () => {
  // The full parse scans a letter's decoded text once, before <Break/> becomes &#10;, and hands that answer to
  // parseXmlTree for the text after it. Catches a replacement that makes or unmakes a refusal — `&#10` without
  // its `;`, a named entity such as `&br;`, or `<Break/>` taken out with nothing in its place (`&<Break/>lt;`).
  const pieces = ["<Break/>", "<Break/", "Break/>", "&", "#", "#x", "1", "0", "a", ";", "lt", "amp", "<!", "<", "!"];
  const declarations = ["DOCTYPE", "doctype", "ENTITY", "DOCTYP", "E", "NTITY", "P", "r"];

  it("is the same for a text and for the text with its breaks as character references", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces, ...declarations), { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        expect(forbiddenMarkup(breaksAsNewlines(text)), text).toBe(forbiddenMarkup(text));
      }),
      { numRuns: 20_000, seed: 112 },
    );
  });

  it.each([
    ["a declaration split by a break", "<!DOC<Break/>TYPE x>", "none"],
    ["an ampersand before a break", "<a>&<Break/>lt;</a>", "undefined-entity"],
    ["a reference cut by a break", "<a>&#1<Break/>0;</a>", "undefined-entity"],
    ["a break beside a declaration", "<Break/><!DOCTYPE x><Break/>", "declaration"],
    ["breaks alone", "<a>x<Break/>y</a>", "none"],
  ])("answers %s", (_what, text, expected) => {
    expect(forbiddenMarkup(text)).toBe(expected);
    expect(forbiddenMarkup(breaksAsNewlines(text))).toBe(expected);
  });
});
