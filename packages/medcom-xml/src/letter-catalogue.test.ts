import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderLetterCatalogue } from "./letter-catalogue.ts";
import { LETTER_TYPES } from "./letter-types.ts";

describe("docs/oioxml-letters.md", () => {
  // Catches: a letter type added to (or reclassified in) the table without the documentation following.
  it("is the table in letter-types.ts, rendered", () => {
    const doc = readFileSync(new URL("../../../docs/oioxml-letters.md", import.meta.url), "utf8");
    expect(doc).toBe(renderLetterCatalogue());
  });

  // Catches: two rows claiming the same letter element (the parser would only ever see the first).
  it("classifies each letter element once", () => {
    const elements = LETTER_TYPES.map((t) => t.element);
    expect(new Set(elements).size).toBe(elements.length);
  });

  // Catches: an envelope-routed letter without a family, which the docs and the timeline would show as blank.
  it("gives every envelope-routed letter a family and only those", () => {
    for (const type of LETTER_TYPES) {
      expect(type.family !== undefined, type.element).toBe(type.reader === "envelope");
      expect(type.kind === "letter", type.element).toBe(type.reader === "envelope");
    }
  });
});
