import { ParsedMessage } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { baseLetter, loadExamples } from "../test/fixtures.ts";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { encodeXmlText } from "./encode.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";

// INTERNAL is left out on purpose: it is what a thrown exception turns into, and none may happen.
const KNOWN_CODES: ReadonlySet<string> = new Set(
  Object.values(OIOXML_ERROR_CODES).filter((code) => code !== OIOXML_ERROR_CODES.INTERNAL),
);

/**
 * Generous ceilings that only a hang or super-linear blow-up would cross; they are not speed targets
 * (throughput is measured by `pnpm bench:formats`).
 */
const HANG_CEILING_MS = 5_000;

function timed<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  return { value, ms: performance.now() - start };
}

const FRAGMENTS = [
  "<",
  ">",
  "&",
  "&amp;",
  "&#0;",
  "&#xFFFFFF;",
  '"',
  "</",
  "/>",
  "<!DOCTYPE x>",
  "<!--",
  "]]>",
  "<![CDATA[",
  "<?",
  "\u0000",
  "\uFFFF",
  "æ",
  "<Emessage>",
  "<Letter>",
  "xmlns=",
  "<__proto__>",
];

type Mutation =
  | { op: "delete"; at: number; length: number }
  | { op: "duplicate"; at: number; length: number }
  | { op: "insert"; at: number; fragment: string }
  | { op: "flip"; at: number; byte: number }
  | { op: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), fragment: fc.constantFrom(...FRAGMENTS) }),
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

function apply(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = bytes;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    switch (m.op) {
      case "delete":
        out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + m.length)]);
        break;
      case "duplicate":
        out = Uint8Array.from([...out.subarray(0, at + m.length), ...out.subarray(at)]);
        break;
      case "insert":
        out = Uint8Array.from([...out.subarray(0, at), ...new TextEncoder().encode(m.fragment), ...out.subarray(at)]);
        break;
      case "flip":
        out = Uint8Array.from(out);
        out[at] = m.byte;
        break;
      case "truncate":
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

describe("hostile and damaged input", () => {
  const seeds = [...loadExamples().map((e) => e.bytes), encodeXmlText(baseLetter())];

  it("10,000 random mutations of real letters never throw, and every answer is well-typed", { timeout: 60_000 }, () => {
    const { ms } = timed(() =>
      fc.assert(
        fc.property(
          fc.nat({ max: seeds.length - 1 }),
          fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
          (seed, mutations) => {
            const input = apply(seeds[seed] ?? new Uint8Array(), mutations);
            const result = parseOioxmlMessage(input);
            if (result.ok) {
              expect(ParsedMessage.safeParse(result.message).success).toBe(true);
            } else {
              expect(result.issues.length).toBeGreaterThan(0);
              for (const issue of result.issues) expect(KNOWN_CODES.has(issue.code)).toBe(true);
            }
          },
        ),
        { numRuns: 10_000, seed: 20_240_305 },
      ),
    );
    expect(ms).toBeLessThan(60_000);
  });

  it("rejects an entity bomb before any expansion", () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE Emessage [<!ENTITY a "aaaaaaaaaa">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`,
    ).join("")}]><Emessage>&j;</Emessage>`;
    const { value, ms } = timed(() => parseOioxmlMessage(bomb));
    expect(value).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.DOCTYPE_FORBIDDEN }] });
    expect(ms).toBeLessThan(HANG_CEILING_MS);
  });

  it("rejects an external entity (no file or network is ever read)", () => {
    const external = `<?xml version="1.0"?><!DOCTYPE Emessage [<!ENTITY x SYSTEM "file:///etc/passwd">]><Emessage>&x;</Emessage>`;
    expect(parseOioxmlMessage(external)).toMatchObject({
      ok: false,
      issues: [{ code: OIOXML_ERROR_CODES.DOCTYPE_FORBIDDEN }],
    });
    const lowercase = `<!doctype Emessage SYSTEM "http://127.0.0.1:1/x.dtd"><Emessage/>`;
    expect(parseOioxmlMessage(lowercase)).toMatchObject({
      ok: false,
      issues: [{ code: OIOXML_ERROR_CODES.DOCTYPE_FORBIDDEN }],
    });
  });

  it("rejects 50 MB without decoding or parsing it", () => {
    const big = new Uint8Array(50 * 1024 * 1024).fill(0x20);
    const { value, ms } = timed(() => parseOioxmlMessage(big));
    expect(value).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.TOO_LARGE }] });
    expect(ms).toBeLessThan(HANG_CEILING_MS);
    const bigText = " ".repeat(21 * 1024 * 1024);
    expect(parseOioxmlMessage(bigText)).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.TOO_LARGE }] });
  });

  it("rejects 10,000-deep nesting with a depth error and bounded memory", () => {
    const deep = `<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2014/10/08/">${"<a>".repeat(10_000)}${"</a>".repeat(10_000)}</Emessage>`;
    const heapBefore = process.memoryUsage().heapUsed;
    const { value, ms } = timed(() => parseOioxmlMessage(deep));
    expect(value).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.TOO_DEEP }] });
    expect(ms).toBeLessThan(HANG_CEILING_MS);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it("checks an element with 200,000 attributes in linear time, and finds the one written twice at its end", {
    timeout: 120_000,
  }, () => {
    // Linear here is about 1–3 s (most of it fast-xml-parser's validator, which rejects the letter); a list searched
    // once per attribute (quadratic) took 2.8 s at 40,000 attributes and about a minute at this size.
    const attributes = Array.from({ length: 200_000 }, (_, i) => ` a${i}=""`).join("");
    const letter = baseLetter().replace("<Emessage", `<Emessage${attributes} a0=""`);
    const { value, ms } = timed(() => parseOioxmlMessage(letter));
    expect(value).toMatchObject({ ok: false, issues: [{ code: OIOXML_ERROR_CODES.NOT_WELL_FORMED }] });
    expect(ms).toBeLessThan(4 * HANG_CEILING_MS);
  });

  it("answers empty, binary and non-XML input with an issue", () => {
    for (const input of [
      new Uint8Array(),
      Uint8Array.from([0xff, 0x00, 0xfe]),
      new TextEncoder().encode("{}"),
      "junk",
      "<a>x</a><b/>",
    ]) {
      const result = parseOioxmlMessage(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(KNOWN_CODES.has(result.issues[0]?.code ?? "")).toBe(true);
    }
  });
});
