import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JSON_FIRST_PREFIX_BYTES, readJsonMessageHead } from "./json-head.ts";
import { readFhirMessageIdentity } from "./read-identity.ts";

// The FHIR JSON header read from bytes (the gateway's case) decodes growing prefixes instead of the whole body
// (decision 0112). It must give exactly what the reading of the whole decoded text gives — the string input still
// takes that path — or the gateway would answer a sender with a hub id intake does not use, or miss a repeat.

const CORPUS = new URL("../../../../test/fixtures/medcom/", import.meta.url);

/** Every FHIR JSON file of the MedCom corpus (valid and negative cases). */
const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".json") && entry.name !== "manifest.json")
  .map((entry) => readFileSync(`${entry.parentPath}/${entry.name}`, "utf8"))
  .filter((text) => text.includes('"MessageHeader"'));
const ref = readFileSync(new URL("built/fhir/ref.json", CORPUS), "utf8");

const FORMAT = { format: "fhir+json" } as const;

/** The rule under test: the bytes' reading is the whole text's. */
function expectSameReading(bytes: Uint8Array) {
  const fromBytes = readFhirMessageIdentity(bytes, FORMAT);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  expect(fromBytes).toEqual(readFhirMessageIdentity(text, FORMAT));
  return fromBytes;
}

describe("the FHIR JSON header read from bytes agrees with the whole text's", () => {
  it("covers the corpus", () => {
    expect(files.length).toBeGreaterThan(20);
    for (const text of files) expectSameReading(Buffer.from(text));
  });

  // Catches a reader that takes a prefix's unfinished head for the whole one (no id once the header ends past the
  // first prefix), and a prefix cut inside a multi-byte character.
  it("reads a header that ends anywhere in the bytes, across prefixes and multi-byte characters", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...files),
        fc.nat({ max: 40_000 }),
        fc.constantFrom("a", "æ", "€", "😀", "\\n", '\\"'),
        (text, length, char) => {
          const padding = char.repeat(Math.ceil(length / char.length));
          const padded = text.replace(/("resourceType"\s*:\s*"MessageHeader"\s*,)/, `$1"_padding":"${padding}",`);
          const identity = expectSameReading(Buffer.from(padded));
          if (padded !== text && readFhirMessageIdentity(text, FORMAT).messageId !== undefined)
            expect(identity.messageId).toBeDefined();
        },
      ),
      { numRuns: 150, seed: 112 },
    );
  });

  it("reads a header behind a large first entry, and a resourceType after the entries", () => {
    const bundle = JSON.parse(ref) as { resourceType?: string; entry: unknown[] };
    const large = { resource: { resourceType: "Binary", data: "A".repeat(50_000) } };
    const behind = { ...bundle, entry: [large, ...bundle.entry] };
    const { resourceType, ...rest } = bundle;
    const last = { ...rest, entry: [...bundle.entry, large], resourceType };
    for (const document of [behind, last]) {
      const identity = expectSameReading(Buffer.from(JSON.stringify(document)));
      expect(identity.messageId).toBeDefined();
      expect(identity.kind).toBeDefined();
    }
  });

  // Catches the prefix reading trusting the bytes it decoded: a body whose bad UTF-8 comes after the header read no
  // id when it was decoded whole (intake's full parse refuses it as not UTF-8), and must still read none.
  it("reads no id from a body that is not UTF-8 anywhere, as when it was decoded whole", () => {
    for (const at of [ref.length - 2, 5_000, 100_000]) {
      const text = at > ref.length ? ref.replace(/}\s*$/, `,"x":"${"a".repeat(at)}"}`) : ref;
      const bytes = Buffer.from(text);
      const broken = Buffer.concat([bytes.subarray(0, bytes.length - 2), Buffer.from([0xff]), bytes.subarray(-2)]);
      expect(readFhirMessageIdentity(bytes, FORMAT).messageId).toBeDefined();
      expect(readFhirMessageIdentity(broken, FORMAT)).toEqual({ format: "fhir+json" });
    }
  });

  it("reads a body cut anywhere as the whole text of the cut reads", () => {
    const bytes = Buffer.from(ref);
    for (let end = 0; end < Math.min(bytes.length, 6_000); end += 7) {
      const cut = bytes.subarray(0, end);
      // A cut inside a character is not UTF-8: no id, from either reading.
      if (new TextDecoder().decode(cut).includes("\uFFFD")) {
        expect(readFhirMessageIdentity(cut, FORMAT)).toEqual({ format: "fhir+json" });
        continue;
      }
      expectSameReading(cut);
    }
  });

  // A reading that ends before its prefix's end is final (decision 0117). Catches a reading taken as final although
  // it ran into the prefix's end — a value, a string or the space between two cut there: the gateway would then
  // miss an id the whole text gives (a repeat stored twice, or a hub id intake does not use) — and a fault that
  // ends the scan being read differently from a longer prefix.
  it("reads a malformed body as the whole text reads, wherever the fault and the header are", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...files),
        fc.nat({ max: 20_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom("}", "]", "{", "[", '"', ",", ":", "x", "\\", "1", " "),
        fc.boolean(),
        (text, length, where, fault, replace) => {
          const padded = text.replace(
            /("resourceType"\s*:\s*"MessageHeader"\s*,)/,
            `$1"_padding":"${"a".repeat(length)}",`,
          );
          const at = Math.floor(where * padded.length);
          expectSameReading(Buffer.from(padded.slice(0, at) + fault + padded.slice(at + (replace ? 1 : 0))));
        },
      ),
      { numRuns: 400, seed: 117 },
    );
  });

  // Catches the doubling kept for a reading that cannot change: a body broken in its first kilobyte decoded again
  // at 8, 16, 32 KB … up to its whole length (tx17's "3–4 passes" of a malformed body at the gateway).
  it("decodes one prefix of a body whose fault ends the scan in it, and grows the prefix only when it ran out", () => {
    const large = JSON.stringify({ ...(JSON.parse(ref) as object), _padding: "a".repeat(60_000) });
    const broken = Buffer.from(large.replace('"entry"', '"entry" x'));
    const reading = { decoded: 0 };
    expect(readJsonMessageHead(broken, 32, reading).header).toBeUndefined();
    expect(reading.decoded).toBeLessThanOrEqual(JSON_FIRST_PREFIX_BYTES);
    // Too deep in the first prefix: final too.
    const deep = Buffer.from(
      `{"resourceType":"Bundle","x":${"[".repeat(40)}${"]".repeat(40)},"y":"${"a".repeat(60_000)}"}`,
    );
    const deepReading = { decoded: 0 };
    readJsonMessageHead(deep, 32, deepReading);
    expect(deepReading.decoded).toBeLessThanOrEqual(JSON_FIRST_PREFIX_BYTES);
    // A header behind a long string: the scan runs into the first prefix's end, and reads on.
    const behind = Buffer.from(
      `{"resourceType":"Bundle","x":"${"a".repeat(10_000)}","entry":${JSON.stringify((JSON.parse(ref) as { entry: unknown }).entry)}}`,
    );
    const read = { decoded: 0 };
    expect(readJsonMessageHead(behind, 32, read).header?.id).toBeDefined();
    expect(read.decoded).toBeGreaterThan(2 * JSON_FIRST_PREFIX_BYTES);
  });
});
