import { describe, expect, it } from "vitest";
import { forbiddenMarkupOf } from "./xml-tree.ts";

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
