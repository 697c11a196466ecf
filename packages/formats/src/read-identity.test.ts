import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMessage } from "./parse-message.ts";
import { readMessageIdentity } from "./read-identity.ts";

const CORPUS = new URL("../../../test/fixtures/medcom/", import.meta.url);

/** Every message file of the MedCom corpus: the public examples and the hub's own built and negative cases. */
function corpus(): [string, URL][] {
  return readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(json|xml)$/.test(entry.name) && entry.name !== "manifest.json")
    .map((entry) => new URL(`${entry.parentPath}/${entry.name}`, "file://"))
    .map((url): [string, URL] => [url.pathname.split("/fixtures/medcom/")[1] ?? url.pathname, url]);
}

describe("readMessageIdentity", () => {
  // The header reader (no tree: xml-head.ts, json-head.ts) must read what the full parse reads, for every file
  // of the corpus, valid or not. Catches a reader that takes Bundle.id, another entry's id, the envelope id or
  // the wrong letter element: the gateway would then miss repeats intake recognises, or merge distinct messages.
  it("covers the whole corpus, FHIR JSON and XML and OIOXML", () => {
    const formats = new Set(corpus().map(([, url]) => readMessageIdentity(readFileSync(url)).format));
    expect(["fhir+json", "fhir+xml", "oioxml"].every((format) => formats.has(format as never))).toBe(true);
    expect(corpus().length).toBeGreaterThan(150);
  });

  it.each(corpus())("reads the same message id, kind and format as the full parse: %s", (_name, url) => {
    const bytes = readFileSync(url);
    const parsed = parseMessage(bytes);
    const full = parsed.ok ? parsed.message : parsed.partial;
    const identity = readMessageIdentity(bytes);
    expect(identity.messageId).toBe(full.messageId);
    expect(identity.kind).toBe(full.kind);
    expect(identity.format).toBe(full.format);
  });

  it("takes MessageHeader.id, never Bundle.id", () => {
    const bundle = {
      resourceType: "Bundle",
      id: "bundle-1",
      type: "message",
      entry: [{ resource: { resourceType: "MessageHeader", id: "header-1" } }],
    };
    expect(readMessageIdentity(Buffer.from(JSON.stringify(bundle))).messageId).toBe("header-1");
  });

  it("gives nothing for bytes no format reads, and never throws", () => {
    expect(readMessageIdentity(Buffer.from("not a message"))).toEqual({});
    expect(readMessageIdentity(Buffer.from("{ broken"))).toEqual({ format: "fhir+json" });
    expect(readMessageIdentity(Buffer.from("<Emessage><Envelope/>"))).toEqual({ format: "oioxml" });
  });

  // The reading stops at the header: what follows it is intake's full parse to refuse. A reader that builds or
  // validates the whole document (the gateway's cost before issue 15) reads nothing from these.
  describe("reads the header alone", () => {
    const letter = readFileSync(new URL("built/oioxml/XRPT01_DiabeticFootStatus.xml", CORPUS)).toString("latin1");
    const bundle = JSON.parse(readFileSync(new URL("built/fhir/ref.json", CORPUS), "utf8")) as {
      entry: { resource: { resourceType: string; id: string } }[];
    };
    const headerId = bundle.entry[0]?.resource.id;

    it("an OIOXML letter broken after its Letter header still gives its id and kind", () => {
      const cut = letter.slice(0, letter.indexOf("<Sender>"));
      expect(parseMessage(Buffer.from(cut, "latin1")).ok).toBe(false);
      expect(readMessageIdentity(Buffer.from(cut, "latin1"))).toEqual({
        format: "oioxml",
        messageId: "L-DiabeticFootStatus",
        kind: "letter",
      });
    });

    it("a FHIR bundle broken after its MessageHeader still gives its id and kind", () => {
      const text = JSON.stringify(bundle);
      const cut = text.slice(0, text.indexOf('"resourceType":"Patient"'));
      expect(parseMessage(Buffer.from(cut)).ok).toBe(false);
      expect(readMessageIdentity(Buffer.from(cut))).toEqual({
        format: "fhir+json",
        messageId: headerId,
        kind: "referral",
      });
    });

    it("a FHIR XML bundle broken after its MessageHeader still gives its id and kind", () => {
      const xml = readFileSync(new URL("built/fhir/ref.xml", CORPUS), "utf8");
      const cut = xml.slice(0, xml.indexOf("<Patient>"));
      expect(parseMessage(Buffer.from(cut), { contentType: "application/fhir+xml" }).ok).toBe(false);
      expect(readMessageIdentity(Buffer.from(cut), { contentType: "application/fhir+xml" })).toEqual({
        format: "fhir+xml",
        messageId: headerId,
        kind: "referral",
      });
    });

    it("reads FHIR JSON whatever the order of keys and entries", () => {
      const [header, ...others] = bundle.entry;
      if (header === undefined) throw new Error("the example has no MessageHeader");
      const { resourceType: _type, ...headerFields } = header.resource;
      const reordered = {
        entry: [...others.slice(0, 1), { resource: { ...headerFields, resourceType: "MessageHeader" } }, ...others],
        type: "message",
        resourceType: "Bundle",
      };
      const bytes = Buffer.from(JSON.stringify(reordered, null, 2));
      expect(readMessageIdentity(bytes)).toEqual({ format: "fhir+json", messageId: headerId, kind: "referral" });
      expect(readMessageIdentity(Buffer.from(JSON.stringify({ ...reordered, resourceType: "Parameters" })))).toEqual({
        format: "fhir+json",
      });
    });

    it("decodes escapes, comments and references as the full parse does", () => {
      const escaped = JSON.stringify(bundle).replace(`"id":"${headerId}"`, `"id":"\\u0041${headerId}"`);
      expect(readMessageIdentity(Buffer.from(escaped)).messageId).toBe(`A${headerId}`);
      const commented = letter.replace(
        "<Letter><Identifier>L-DiabeticFootStatus</Identifier>",
        "<!-- <Identifier>not this</Identifier> --><Letter><Identifier> L-Diabetic&amp;Foot </Identifier>",
      );
      const expected = readMessageIdentity(Buffer.from(commented, "latin1"));
      expect(expected.messageId).toBe("L-Diabetic&Foot");
      const parsed = parseMessage(Buffer.from(commented, "latin1"));
      expect(parsed.ok ? parsed.message.messageId : parsed.partial.messageId).toBe("L-Diabetic&Foot");
    });
  });
});
