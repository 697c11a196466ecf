import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import fc from "fast-check";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_DECLARATION, parseWithFastXmlParser, UNDEFINED_ENTITY } from "./xml-tree.ts";
import { buildXmlTree } from "./xml-tree-builder.ts";

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
