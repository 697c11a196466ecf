import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isObject, obj, str } from "../fhir-json.ts";
import { DEFAULT_LIMITS } from "../limits.ts";
import { profileForEvent } from "../message-profiles.ts";
import { readFhirDocument } from "../parse-fhir-message.ts";
import { readFhirMessageIdentity } from "./read-identity.ts";

// The FHIR XML header read (xml-head.ts) against the full conversion (fhir-xml-to-json.ts) it replaces at the
// gateway: on every document the conversion accepts, both must give the same message id and kind, or the gateway
// would answer a sender with a hub id intake does not use, miss repeats, or merge distinct messages.

const CORPUS = new URL("../../../../test/fixtures/medcom/", import.meta.url);
const FHIR_NS = "http://hl7.org/fhir";

/** Every FHIR XML file of the MedCom corpus (valid and negative cases). */
function corpus(): { name: string; text: string }[] {
  return readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".xml"))
    .map((entry) => ({
      name: `${entry.parentPath}/${entry.name}`.split("/fixtures/medcom/")[1] ?? entry.name,
      text: readFileSync(`${entry.parentPath}/${entry.name}`, "utf8"),
    }))
    .filter((file) => file.text.includes(`xmlns="${FHIR_NS}"`));
}
const files = corpus();
const ref = files.find((file) => file.name.endsWith("built/fhir/ref.xml"))?.text ?? "";

interface Reading {
  converted: boolean;
  messageId?: string;
  kind?: string;
}

/** What the gateway read before: the whole document converted, then the first MessageHeader taken from it. */
function fullConversion(text: string, maxDepth = DEFAULT_LIMITS.maxDepth): Reading {
  const document = readFhirDocument(Buffer.from(text), { format: "fhir+xml", limits: { maxDepth } });
  if (!document.ok) return { converted: false };
  const reading: Reading = { converted: true };
  if (!isObject(document.value) || document.value.resourceType !== "Bundle") return reading;
  const entries: unknown[] = Array.isArray(document.value.entry) ? document.value.entry : [];
  const header = entries.map((entry) => obj(entry, "resource")).find((r) => r?.resourceType === "MessageHeader");
  if (header === undefined) return reading;
  const id = str(header, "id");
  if (id !== undefined && id !== "") reading.messageId = id;
  const event = obj(header, "eventCoding");
  const kind = profileForEvent(str(event, "system"), str(event, "code"))?.kind;
  if (kind !== undefined) reading.kind = kind;
  return reading;
}

function headerRead(text: string, maxDepth = DEFAULT_LIMITS.maxDepth): Omit<Reading, "converted"> {
  return headerReadBytes(Buffer.from(text), maxDepth);
}

function headerReadBytes(bytes: Uint8Array, maxDepth = DEFAULT_LIMITS.maxDepth): Omit<Reading, "converted"> {
  const identity = readFhirMessageIdentity(bytes, { format: "fhir+xml", limits: { maxDepth } });
  const reading: Omit<Reading, "converted"> = {};
  if (identity.messageId !== undefined) reading.messageId = identity.messageId;
  if (identity.kind !== undefined) reading.kind = identity.kind;
  return reading;
}

/** The rule under test: whenever the full conversion accepts a document, the header read says the same. */
function expectAgreement(text: string, maxDepth = DEFAULT_LIMITS.maxDepth): Reading {
  const full = fullConversion(text, maxDepth);
  if (full.converted) {
    const { converted: _converted, ...identity } = full;
    expect(headerRead(text, maxDepth)).toEqual(identity);
  }
  return full;
}

/** The index just past the first MessageHeader of a document. */
function headerEnd(text: string): number {
  const end = text.indexOf("</MessageHeader>");
  if (end < 0) throw new Error("no MessageHeader");
  return end + "</MessageHeader>".length;
}

describe("the FHIR XML header read agrees with the full conversion", () => {
  it("covers valid and negative FHIR XML files of the corpus", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(files.some((file) => file.name.includes("negative"))).toBe(true);
  });

  it.each(files.map((file) => [file.name, file.text]))("%s", (_name, text) => {
    const full = expectAgreement(text);
    expect(full.converted).toBe(true);
    expect(full.messageId).toBeDefined();
  });

  // Catches a reader that needs the rest of the document (it would read nothing here), and one that reads an
  // id from past the header. Every cut and every kind of garbage after the header, bytes that are not UTF-8
  // included, gives the unbroken reading.
  it("reads a document broken anywhere after its MessageHeader as the unbroken one", () => {
    const garbage = fc.constantFrom(
      ...["", "<", "</Bundle>", "<!-- ", "<![CDATA[", '<id value="x', "<!DOCTYPE x>", '<!ENTITY x "y">', "&bogus;"].map(
        (text) => Buffer.from(text),
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc3]),
    );
    fc.assert(
      fc.property(fc.constantFrom(...files.map((file) => file.text)), fc.nat(), garbage, (text, at, tail) => {
        const { converted: _converted, ...expected } = fullConversion(text);
        const bytes = Buffer.from(text);
        const end = Buffer.byteLength(text.slice(0, headerEnd(text)));
        const cut = end + (at % (bytes.length - end + 1));
        expect(headerReadBytes(Buffer.concat([bytes.subarray(0, cut), tail]))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  // Catches a reader that takes an id from a header it has not read to its end (a cut or bad bytes inside it):
  // the FHIR JSON reader reads a MessageHeader only once it is whole, and so must this one.
  it("reads no header from a document broken before its MessageHeader closes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...files.map((file) => file.text)),
        fc.nat(),
        fc.constantFrom(Buffer.from(""), Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80])),
        (text, at, tail) => {
          const bytes = Buffer.from(text);
          const end = Buffer.byteLength(text.slice(0, headerEnd(text)));
          const cut = at % end;
          // Cut there, or bytes that are not UTF-8 put there with the rest after them.
          const broken = Buffer.concat([bytes.subarray(0, cut), tail, tail.length === 0 ? tail : bytes.subarray(cut)]);
          expect(headerReadBytes(broken).messageId).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  // The bytes are decoded and read in growing prefixes. Catches a prefix cut inside a UTF-8 character (the
  // reading would fail as if the message were not UTF-8), and a header longer than the first prefix read as if
  // the message ended there.
  it("reads a header that ends anywhere in the bytes, across prefixes and multi-byte characters", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...files.map((file) => file.text)),
        fc.nat({ max: 40_000 }),
        fc.constantFrom("a", "æ", "€", "😀"),
        (text, length, char) => {
          const padding = char.repeat(Math.ceil(length / Buffer.byteLength(char)));
          const padded = text.replace(/(<MessageHeader>[\s\S]*?<div [^>]*>)/, `$1<p>${padding}</p>`);
          expect(padded).not.toBe(text);
          const full = expectAgreement(padded);
          expect(full.converted).toBe(true);
          expect(full.messageId).toBeDefined();
        },
      ),
      { numRuns: 60 },
    );
  });

  // Catches a reader that finds attributes by position or by pattern (a `value=` inside another attribute's
  // value), that misses single quotes, whitespace around `=` or references, or decodes them unlike the conversion.
  it("reads attributes in any order, quoting and spacing, with references decoded as the conversion does", () => {
    const piece = fc.oneof(
      fc.constantFrom("a", "Z", "0", "-", ".", " ", "æ", "😀", "/", ">", "=", "value=", "\t"),
      fc.constantFrom("&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;", "&#x42;", "&#x1F600;"),
    );
    const valueText = fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(""));
    const quote = fc.constantFrom('"', "'");
    const space = fc.constantFrom(" ", "\n", "\t", "  ", "\r\n");
    const attribute = (name: string, value: string, q: string, s: string) =>
      `${name}${s}=${s}${q}${q === '"' ? value.replaceAll('"', "&quot;") : value.replaceAll("'", "&apos;")}${q}`;
    fc.assert(
      fc.property(valueText, valueText, quote, quote, space, fc.boolean(), (id, other, q1, q2, s, before) => {
        const decoy = attribute("id", `value="${other.replaceAll('"', "")}"`, q2 === '"' ? "'" : '"', "");
        const value = attribute("value", id, q1, s === "\r\n" ? " " : s);
        const attributes = before ? `${decoy}${s}${value}` : `${value}${s}${decoy}`;
        const text = ref.replace(/<id value="a0000000-[^"]*"\/>/, `<id${s}${attributes}${s}/>`);
        expect(text).not.toBe(ref);
        const full = expectAgreement(text);
        expect(full.converted).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  // Catches a reader that checks the namespace loosely (by prefix, by a pattern that matches inside another
  // attribute) or matches elements by local name: the conversion refuses prefixed FHIR elements and a root
  // without the FHIR default namespace.
  it("reads namespaces and prefixes as the conversion does", () => {
    const root = `<Bundle xmlns="${FHIR_NS}">`;
    // What the header read must give for each variant: the unchanged document's reading ("same") or nothing.
    const variants: [string, (t: string) => string, "same" | "none"][] = [
      [
        "prefixed root",
        (t) => t.replace(root, `<f:Bundle xmlns:f="${FHIR_NS}">`).replace("</Bundle>", "</f:Bundle>"),
        "none",
      ],
      ["FHIR only as a prefix", (t) => t.replace(root, `<Bundle xmlns:f="${FHIR_NS}">`), "none"],
      [
        "xmlns inside another value",
        (t) => t.replace(root, `<Bundle note=' xmlns="${FHIR_NS}"' xmlns="urn:x">`),
        "none",
      ],
      ["another namespace", (t) => t.replace(root, `<Bundle xmlns="${FHIR_NS}/">`), "none"],
      [
        "other attributes, spaced and single-quoted",
        (t) =>
          t.replace(
            root,
            `<Bundle xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n  xmlns = '${FHIR_NS}' xsi:schemaLocation="${FHIR_NS} x.xsd">`,
          ),
        "same",
      ],
      ["xmlns on the header", (t) => t.replace("<MessageHeader>", `<MessageHeader xmlns="${FHIR_NS}">`), "same"],
      [
        "prefixed header",
        (t) => t.replace("<MessageHeader>", "<f:MessageHeader>").replace("</MessageHeader>", "</f:MessageHeader>"),
        "none",
      ],
      ["prefixed id first", (t) => t.replace(/(<MessageHeader>\s*)<id /, '$1<f:id value="b-"/><id '), "same"],
      [
        "prefixed eventCoding first",
        (t) => t.replace("<eventCoding>", "<f:eventCoding><code value='x'/></f:eventCoding><eventCoding>"),
        "same",
      ],
      [
        "prefixed entry first",
        (t) => t.replace("<entry>", '<f:entry xmlns:f="urn:x"><f:resource/></f:entry><entry>'),
        "same",
      ],
    ];
    for (const file of files) {
      const unchanged = headerRead(file.text);
      for (const [name, variant, expected] of variants) {
        const changed = variant(file.text);
        expect(changed, name).not.toBe(file.text);
        expectAgreement(changed);
        expect(headerRead(changed), `${name}: ${file.name}`).toEqual(expected === "same" ? unchanged : {});
      }
    }
  });

  // Catches a reader that takes a MessageHeader out of a comment, CDATA section or processing instruction, or that
  // stops following at one. Each is inserted before a random tag of the document.
  it("skips comments, CDATA sections and processing instructions wherever they are", () => {
    const noise = fc.constantFrom(
      '<!-- <MessageHeader><id value="fake"/></MessageHeader> -->',
      "<!---->",
      '<![CDATA[<entry><resource><MessageHeader><id value="fake"/></MessageHeader></resource></entry>]]>',
      '<?carehub <MessageHeader><id value="fake"/> ?>',
      "<?pi?>",
      "\n  ",
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...files.map((file) => file.text)),
        fc.array(fc.tuple(fc.nat(), noise), { minLength: 1, maxLength: 4 }),
        (text, insertions) => {
          const tags = [...text.matchAll(/<[A-Za-z/]/g)].map((match) => match.index);
          let changed = text;
          // From the last position back, so that each insertion leaves the positions before it where they were.
          const positions = insertions.map(([at, what]) => [tags[at % tags.length] ?? 0, what] as const);
          for (const [position, what] of positions.sort((a, b) => b[0] - a[0])) {
            changed = changed.slice(0, position) + what + changed.slice(position);
          }
          const read = headerRead(changed);
          expect(read.messageId).not.toBe("fake");
          expectAgreement(changed);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Any Bundle the conversion accepts, from a small grammar: entries in any order and number, the MessageHeader's
  // elements in any order, narratives nested any depth, repeats, empty elements. Catches a reader that takes the
  // wrong entry (not the first MessageHeader, or one that is not the first element of its `resource`), an id of
  // another element or level, or a coding outside `eventCoding`.
  it("agrees on generated Bundles of any shape", () => {
    const events = files
      .map((file) => /<eventCoding><system value="([^"]*)"\/><code value="([^"]*)"\/>/.exec(file.text))
      .filter((match) => match !== null)
      .map((match) => [match[1] ?? "", match[2] ?? ""] as const);
    const id = fc.constantFrom("h-1", "h-2", "", "x&amp;y", "&#x41;");
    const narrative = fc
      .nat({ max: 120 })
      .map(
        (depth) =>
          `<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">${"<div>".repeat(depth)}<p>x</p>${"</div>".repeat(depth)}</div></text>`,
      );
    const coding = fc
      .tuple(fc.constantFrom(...events), fc.boolean(), fc.boolean())
      .map(([[system, code], swap, empty]) =>
        empty
          ? "<eventCoding/>"
          : swap
            ? `<eventCoding><code value="${code}"/><system value="${system}"/></eventCoding>`
            : `<eventCoding><system value="${system}"/><code value="${code}"/></eventCoding>`,
      );
    const headerParts = [
      id.map((v) => `<id value="${v}"/>`),
      coding,
      narrative,
      fc.constant(
        '<meta id="meta-id"><source value="urn:meta"/><tag><system value="s"/><code value="c"/></tag></meta>',
      ),
      fc.constant('<source><endpoint value="urn:e"/></source>'),
      fc.constant('<eventUri value="urn:event"/>'),
      // An id, a system and a code at other levels, and a code under another element of the header's level.
      fc.constant(
        '<contained><Patient><id value="contained-id"/></Patient></contained><response><identifier value="r-1"/><code value="ok"/></response>',
      ),
      fc.constant('<reason><coding><system value="urn:reason"/><code value="r"/></coding></reason>'),
    ] as const;
    const header = fc
      .tuple(fc.tuple(...headerParts), fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 2 }))
      .map(([parts, order]) => order.map((i) => parts[i]).join(""))
      .map((inner) => (inner === "" ? "<MessageHeader/>" : `<MessageHeader>${inner}</MessageHeader>`));
    const other = fc.constantFrom(
      '<Patient><id value="patient-1"/><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>p</p></div></text></Patient>',
      `<Bundle><entry><resource><MessageHeader><id value="nested"/>${"<eventCoding/>"}</MessageHeader></resource></entry></Bundle>`,
      '<Provenance><id value="prov-1"/></Provenance>',
    );
    const entry = fc.oneof(
      header.map((h) => `<entry><resource>${h}</resource></entry>`),
      header.map((h) => `<entry><fullUrl value="urn:h"/><resource>${h}</resource></entry>`),
      other.map((o) => `<entry><resource>${o}</resource></entry>`),
      fc.tuple(other, header).map(([o, h]) => `<entry><resource>${o}${h}</resource></entry>`),
      fc.constant('<entry><fullUrl value="urn:empty"/></entry>'),
    );
    const bundle = fc
      .tuple(fc.array(entry, { maxLength: 5 }), fc.boolean())
      .map(
        ([entries, withId]) =>
          `<?xml version="1.0"?>\n<Bundle xmlns="${FHIR_NS}">${withId ? '<id value="bundle-id"/>' : ""}<type value="message"/>${entries.join("\n")}</Bundle>`,
      );
    let converted = 0;
    let withId = 0;
    fc.assert(
      fc.property(bundle, (text) => {
        const full = expectAgreement(text);
        if (full.converted) converted += 1;
        if (full.messageId !== undefined) withId += 1;
      }),
      { numRuns: 500 },
    );
    // The property says something only if most documents convert and many have an id to agree on.
    expect(converted).toBeGreaterThan(400);
    expect(withId).toBeGreaterThan(100);
  });
});

describe("the FHIR XML header read is safe against hostile input", () => {
  const BOUND_MS = 5_000;

  it("reads nothing past a DOCTYPE or entity declaration, and expands no entity", {
    timeout: BOUND_MS,
  }, () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`,
    ).join("")}]>`;
    const header = ref.slice(ref.indexOf("<Bundle"));
    expect(headerRead(laughs + header.replace(/<id value="a0000000-[^"]*"/, '<id value="&lol9;"'))).toEqual({});
    expect(headerRead(laughs + header)).toEqual({});
    expect(headerRead(ref.replace("<entry>", '<!ENTITY x "y"><entry>'))).toEqual({});
    expect(headerRead(ref.replace("<Bundle", "<!DOCTYPE Bundle><Bundle"))).toEqual({});
    // An undeclared entity in the id is not read (the conversion refuses it); the kind is still read.
    expect(headerRead(ref.replace(/<id value="a0000000-[^"]*"/, '<id value="&xxe;"'))).toEqual({ kind: "referral" });
  });

  // Catches a depth bound unlike the conversion's (fast-xml-parser's maxNestedTags: more than maxDepth open
  // elements around an opening one), which would split the two readings at the bound, and a reader with no bound.
  it("bounds nesting as the conversion does, and not inside a narrative", () => {
    const outcomes = new Set<boolean>();
    for (const maxDepth of [8, 16]) {
      for (let nesting = maxDepth - 6; nesting <= maxDepth + 2; nesting++) {
        const deep = `<extension url="urn:x">`.repeat(nesting) + "</extension>".repeat(nesting);
        const text = ref.replace("<entry>", `<entry><resource><Patient>${deep}</Patient></resource></entry><entry>`);
        const full = expectAgreement(text, maxDepth);
        if (!full.converted) expect(headerRead(text, maxDepth)).toEqual({});
        outcomes.add(full.converted);
      }
    }
    expect([...outcomes].sort()).toEqual([false, true]);
    const narrative = `<div>${"<div>".repeat(500)}${"</div>".repeat(500)}</div>`;
    const text = ref.replace(/<div xmlns[^>]*>/, (open) => `${open}${narrative}`);
    expect(expectAgreement(text, 16).converted).toBe(true);
    expect(headerRead(text, 16).messageId).toMatch(/^a0000000-/);
  });

  // Hang detectors, not timings (each takes well under a second alone): a reader that rescanned from the start at
  // every element or comment, or backtracked over a long attribute, would blow through the bound.
  const huge = "x".repeat(10 * 1024 * 1024);

  it("gives up within the bound on 200,000 nested elements and 500,000 comments", { timeout: BOUND_MS }, () => {
    expect(headerRead(`<Bundle xmlns="${FHIR_NS}">${"<entry>".repeat(200_000)}`)).toEqual({});
    expect(headerRead(`<Bundle xmlns="${FHIR_NS}">${"<!---->".repeat(500_000)}`)).toEqual({});
  });

  it("reads past a 10 MB attribute within the bound, and a 10 MB id whole", { timeout: BOUND_MS }, () => {
    expect(headerRead(ref.replace("<entry>", `<entry note="${huge}">`))).toEqual(headerRead(ref));
    expect(headerRead(ref.replace(/<id value="a0000000-[^"]*"/, `<id value="${huge}"`)).messageId).toHaveLength(
      huge.length,
    );
  });

  it("gives up within the bound on a 10 MB unterminated attribute or comment", { timeout: BOUND_MS }, () => {
    expect(headerRead(ref.replace("<entry>", `<entry note="${huge}`))).toEqual({});
    expect(headerRead(ref.replace("<entry>", `<!-- ${huge}`))).toEqual({});
  });
});
