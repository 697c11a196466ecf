import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMessage } from "./parse-message.ts";
import { readMessageIdentity } from "./read-identity.ts";
import { readMessage } from "./read-message.ts";

const CORPUS = new URL("../../../test/fixtures/medcom/", import.meta.url);

function corpus(): [string, Buffer][] {
  return readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(json|xml)$/.test(entry.name) && entry.name !== "manifest.json")
    .map((entry): [string, Buffer] => [
      `${entry.parentPath.split("/fixtures/medcom/")[1] ?? ""}/${entry.name}`,
      readFileSync(`${entry.parentPath}/${entry.name}`),
    ]);
}

/** What intake got from the two readings apart: the one reading must give exactly this. */
const apart = (bytes: Uint8Array, options: { contentType?: string; maxBytes?: number }) => ({
  parsed: parseMessage(bytes, options),
  identity: readMessageIdentity(bytes, options),
});

const CONTENT_TYPES = [
  undefined,
  "application/fhir+json",
  "application/json; charset=utf-8",
  "application/fhir+xml",
  "application/xml",
  "text/plain",
];

describe("readMessage", () => {
  // Intake reads each message once for both: a shared detection or decoding that differed from either reading
  // alone would let intake name a message otherwise than the gateway did, or accept what the parse refuses.
  it.each(corpus())("gives what the full parse and the header read give apart: %s", (_name, bytes) => {
    for (const contentType of CONTENT_TYPES) {
      const options = contentType === undefined ? {} : { contentType };
      expect(readMessage(bytes, options)).toEqual(apart(bytes, options));
    }
  });

  it.each([
    [
      "a FHIR JSON body that is not UTF-8",
      Buffer.concat([Buffer.from('{"resourceType":"Bundle","id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    ],
    [
      "a FHIR JSON body behind a byte order mark",
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        corpus().find(([n]) => n.endsWith(".json"))?.[1] ?? Buffer.alloc(0),
      ]),
    ],
    ["an empty body", Buffer.alloc(0)],
    ["bytes no format reads", Buffer.from("not a message")],
    ["broken JSON", Buffer.from("{ broken")],
    ["a broken letter", Buffer.from("<Emessage><Envelope/>")],
  ])("and for %s", (_name, bytes) => {
    for (const contentType of CONTENT_TYPES) {
      const options = contentType === undefined ? {} : { contentType };
      expect(readMessage(bytes, options)).toEqual(apart(bytes, options));
    }
  });

  it("refuses a body over the size limit before reading it, as the two do", () => {
    const [, bytes] = corpus().find(([n]) => n.endsWith(".json")) ?? ["", Buffer.alloc(0)];
    const options = { maxBytes: bytes.byteLength - 1 };
    const read = readMessage(bytes, options);
    expect(read).toEqual(apart(bytes, options));
    expect(read.parsed.ok).toBe(false);
    expect(read.identity).toEqual({});
  });
  // Intake's two readings of a letter share one scan for declarations and undefined entities (decision 0112): each
  // must still refuse on its own terms, and the answer must be this letter's. Catches the parse trusting a scan it
  // was not given (a letter let through to the tree with its DOCTYPE), the header read skipping the shared scan
  // (an id read from a letter the parse refuses), and an answer kept for the wrong letter (a clean letter read after
  // a hostile one refused, or the other way round).
  it("refuses a letter with a declaration or an undefined entity in both readings, letter by letter", () => {
    const letter = readFileSync(new URL("examples/oioxml/XRPT01_2.xml", CORPUS), "latin1");
    const clean = Buffer.from(letter, "latin1");
    // After the letter's head, where the header read would otherwise find the id.
    const doctype = Buffer.from(
      letter.replace("</Letter>", '</Letter><!DOCTYPE Emessage [<!ENTITY x "y">]>'),
      "latin1",
    );
    const entity = Buffer.from(letter.replace("</Letter>", "</Letter>&nbsp;"), "latin1");
    const options = { contentType: "application/xml" };
    for (const [bytes, code] of [
      [clean, undefined],
      [doctype, "CAREHUB_ERR_OIOXML_DOCTYPE_FORBIDDEN"],
      [clean, undefined],
      [entity, "CAREHUB_ERR_OIOXML_NOT_WELL_FORMED"],
      [clean, undefined],
    ] as const) {
      const read = readMessage(bytes, options);
      expect(read).toEqual(apart(bytes, options));
      if (code === undefined) {
        expect(read.parsed.ok).toBe(true);
        expect(read.identity).toEqual({ format: "oioxml", messageId: "80901082504859", kind: expect.any(String) });
      } else {
        expect(read.parsed).toMatchObject({ ok: false, issues: [{ code }] });
        expect(read.identity).toEqual({ format: "oioxml" });
      }
    }
  });
});
