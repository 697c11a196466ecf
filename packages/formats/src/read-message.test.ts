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
});
