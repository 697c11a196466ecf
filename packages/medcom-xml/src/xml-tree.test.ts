import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_DECLARATION, forbiddenMarkup, forbiddenMarkupOf, UNDEFINED_ENTITY } from "./xml-tree.ts";

describe("forbiddenMarkupOf", () => {
  // Catches an answer cached by the decoding object alone: a caller that reuses one object with another text would
  // get the first text's "none", and a DOCTYPE or an undefined entity would reach the tree builder.
  it("scans again when the same decoding object now holds another text", () => {
    const decoded = { text: "<a>clean</a>" };
    expect(forbiddenMarkupOf(decoded)).toBe("none");
    decoded.text = '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>';
    expect(forbiddenMarkupOf(decoded)).toBe("declaration");
    decoded.text = "<a>&unknown;</a>";
    expect(forbiddenMarkupOf(decoded)).toBe("undefined-entity");
  });

  it("answers the same text from one scan, and each object on its own", () => {
    const clean = { text: "<a>clean</a>" };
    const hostile = { text: "<a>&unknown;</a>" };
    expect([forbiddenMarkupOf(clean), forbiddenMarkupOf(hostile), forbiddenMarkupOf(clean)]).toEqual([
      "none",
      "undefined-entity",
      "none",
    ]);
  });
});

/** The answer as the two expressions give it, searched through the whole text (as before decision 0125). */
function byExpressions(text: string): string {
  if (FORBIDDEN_DECLARATION.test(text)) return "declaration";
  if (UNDEFINED_ENTITY.test(text)) return "undefined-entity";
  return "none";
}

describe("forbiddenMarkup", () => {
  // It finds `<!` and `&` by indexOf and tries the rest of each expression there. Catches a search that steps past a
  // match (`<!<!DOCTYPE`, `&&amp;`), one that stops at the first `<!` or `&` (a comment before the DOCTYPE, a
  // defined entity before an undefined one), a case-sensitive DOCTYPE, and an entity accepted without its `;`.
  it("answers as FORBIDDEN_DECLARATION and UNDEFINED_ENTITY do, on generated text", () => {
    const pieces = ["<!", "<", "!", "--", "DOCTYPE", "doctype", "DocType", "ENTITY", "entity", "DOCTYP", "ENTIT"];
    const references = ["&", "&&", "amp", "lt", "gt", "quot", "apos", "#", "#x", "12", "1234567", "12345678", "fF"];
    const rest = [";", " ", "a", "æ", "<a>", "</a>", "\n"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces, ...references, ...rest), { maxLength: 16 }), (parts) => {
        const text = parts.join("");
        expect(forbiddenMarkup(text), text).toBe(byExpressions(text));
      }),
      { numRuns: 30_000, seed: 125 },
    );
  });

  it("answers as the expressions do on every example letter, and on each with a piece inserted anywhere", () => {
    const files = readdirSync(medcomExamplesDir("oioxml")).filter((name) => name.endsWith(".xml"));
    expect(files.length).toBeGreaterThan(5);
    const letters = files.map((name) => readFileSync(join(medcomExamplesDir("oioxml"), name), "latin1"));
    const inserts = ["<!DOCTYPE a>", "<!entity", "&", "&amp", "&#x1F;", "&#12345678;", "&apos;", "<!-- c -->"];
    fc.assert(
      fc.property(
        fc.nat({ max: letters.length - 1 }),
        fc.nat(),
        fc.constantFrom("", ...inserts),
        (which, at, piece) => {
          const letter = letters[which] ?? "";
          const place = at % (letter.length + 1);
          const text = letter.slice(0, place) + piece + letter.slice(place);
          expect(forbiddenMarkup(text)).toBe(byExpressions(text));
        },
      ),
      { numRuns: 3_000, seed: 1_250 },
    );
  });
});
