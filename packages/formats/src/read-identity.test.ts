import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMessage } from "./parse-message.ts";
import { readMessageIdentity } from "./read-identity.ts";

const EXAMPLES = new URL("../../../test/fixtures/medcom/examples/", import.meta.url);

function examples(folder: string): URL[] {
  return readdirSync(new URL(folder, EXAMPLES), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(json|xml)$/.test(entry.name))
    .map((entry) => new URL(`${entry.parentPath}/${entry.name}`, "file://"));
}

describe("readMessageIdentity", () => {
  // Catches a header reader that takes Bundle.id, another entry's id or the envelope id as the message id:
  // the gateway would then miss repeats the full parse (intake) recognises, or merge distinct messages.
  it.each([...examples("fhir/"), ...examples("oioxml/")].map((url) => [url.pathname.split("/examples/")[1], url]))(
    "reads the same message id and kind as the full parse: %s",
    (_name, url) => {
      const bytes = readFileSync(url);
      const parsed = parseMessage(bytes);
      const full = parsed.ok ? parsed.message : parsed.partial;
      const identity = readMessageIdentity(bytes);
      expect(identity.messageId).toBe(full.messageId);
      expect(identity.kind).toBe(full.kind);
      expect(identity.format).toBe(full.format);
    },
  );

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
});
