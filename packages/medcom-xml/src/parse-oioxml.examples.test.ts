import { ParsedMessage } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { EXAMPLES_DIR, KNOWN_BAD, loadExamples, validExamples } from "../test/fixtures.ts";
import { OIOXML_ERROR_CODES } from "./codes.ts";
import { decodeXmlBytes } from "./decode.ts";
import { parseOioxmlMessage } from "./parse-oioxml.ts";

/**
 * The shared MedCom examples, checked against an oracle read from each file with plain regular expressions
 * (not the parser under test), so nothing here is tuned to a particular file beyond the README's known-bad list.
 */
const KIND_BY_STATISTICAL_PREFIX: Array<[RegExp, string]> = [
  [/^X?RPT/, "lab-result"],
  [/^X?REF/, "referral"],
  [/^XDIS13$/, "status-update"],
  [/^XREQ/, "lab-requisition"],
  [/^XCTL/, "acknowledgement"],
];

function latin(bytes: Uint8Array): string {
  return new TextDecoder("windows-1252").decode(bytes);
}

function oracle(bytes: Uint8Array) {
  const text = latin(bytes);
  const first = (re: RegExp) => re.exec(text)?.[1]?.trim();
  const partyGln = (name: string) => {
    const block = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g");
    return [...text.matchAll(block)].map((m) =>
      /<EANIdentifier>([^<]*)<\/EANIdentifier>/.exec(m[1] ?? "")?.[1]?.trim(),
    );
  };
  const statistical = first(/<StatisticalCode>([^<]*)<\/StatisticalCode>/) ?? "";
  return {
    envelopeId: first(/<Envelope>[\s\S]*?<Identifier>([^<]*)<\/Identifier>/),
    letterId: first(/<Letter>\s*<Identifier>([^<]*)<\/Identifier>/),
    statistical,
    kind: KIND_BY_STATISTICAL_PREFIX.find(([re]) => re.test(statistical))?.[1],
    senderGln: partyGln("Sender")[0],
    receiverGlns: [...partyGln("Receiver"), ...partyGln("CCReceiver")],
    ackRequested: !statistical.startsWith("XCTL") && text.includes("<AcknowledgementCode>pluspositivkvitt<"),
  };
}

describe("the shared OIOXML examples", () => {
  const examples = loadExamples();

  it("are all present (the README's list is the test's input)", () => {
    expect(examples.length).toBeGreaterThanOrEqual(11);
    for (const bad of Object.keys(KNOWN_BAD)) expect(examples.map((e) => e.name)).toContain(bad);
  });

  for (const example of validExamples()) {
    it(`${example.name} parses to the kind, ids and parties the letter states`, () => {
      const result = parseOioxmlMessage(example.bytes);
      if (!result.ok) throw new Error(`${example.name}: ${JSON.stringify(result.issues)}`);
      const expected = oracle(example.bytes);
      const { message } = result;
      expect(ParsedMessage.safeParse(message).success).toBe(true);
      expect(message.format).toBe("oioxml");
      expect(message.kind).toBe(expected.kind);
      expect(message.standard).toBe(expected.statistical);
      expect(message.messageId).toBe(expected.letterId);
      expect(message.envelopeId).toBe(expected.envelopeId);
      expect(message.sender.gln ?? message.sender.vans).toBe(expected.senderGln);
      expect(message.receivers.map((r) => r.gln)).toEqual(expected.receiverGlns);
      expect(message.ackRequested).toBe(expected.ackRequested);
      expect(message.sentAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+0[12]:00$/);
      if (message.kind === "acknowledgement") {
        const original = /<OriginalLetterIdentifier>([^<]*)</.exec(latin(example.bytes))?.[1];
        expect(message.content).toMatchObject({ kind: "acknowledgement", respondsTo: original });
        expect(message.links.inReplyTo?.messageId).toBe(original);
      } else {
        expect(message.patient).toBeDefined();
      }
    });
  }

  it(`rejects XRPT05_6092035412.xml (${KNOWN_BAD["XRPT05_6092035412.xml"]}) with a GLN format error on the receiver`, () => {
    const bytes = examples.find((e) => e.name === "XRPT05_6092035412.xml")?.bytes ?? new Uint8Array();
    const result = parseOioxmlMessage(bytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        code: OIOXML_ERROR_CODES.GLN_FORMAT,
        path: "Emessage/MicrobiologyWebReport/Receiver/EANIdentifier",
        medcomCode: "ukendt_lokationsnummer",
      }),
    );
    // Still enough to answer the sender with a negative receipt.
    expect(result.partial.messageId).toBeDefined();
    expect(result.partial.sender?.gln).toMatch(/^\d{13}$/);
  });

  it(`rejects XRPT01_1.xml (${KNOWN_BAD["XRPT01_1.xml"]}) with a check-digit error on both parties`, () => {
    const bytes = examples.find((e) => e.name === "XRPT01_1.xml")?.bytes ?? new Uint8Array();
    const result = parseOioxmlMessage(bytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const checkDigit = result.issues.filter((i) => i.code === OIOXML_ERROR_CODES.GLN_CHECK_DIGIT).map((i) => i.path);
    expect(checkDigit.sort()).toEqual([
      "Emessage/LaboratoryReport/Receiver/EANIdentifier",
      "Emessage/LaboratoryReport/Sender/EANIdentifier",
    ]);
  });

  it("decode windows-1252 / ISO-8859-1 bytes by their declaration: every high byte becomes its code point", () => {
    for (const example of examples) {
      const decoded = decodeXmlBytes(example.bytes);
      if (!decoded.ok) throw new Error(`${example.name} did not decode`);
      expect(decoded.text).not.toContain("\uFFFD");
      expect(decoded.text).toBe(latin(example.bytes));
      if (example.bytes.some((b) => b === 0xe6 || b === 0xf8 || b === 0xe5)) expect(decoded.text).toMatch(/[æøå]/);
    }
    expect(EXAMPLES_DIR).toContain("oioxml");
  });

  it("keep Danish letters intact in the parsed parties", () => {
    const names = validExamples()
      .map((e) => parseOioxmlMessage(e.bytes))
      .flatMap((r) => (r.ok ? [r.message.sender, ...r.message.receivers] : []))
      .map((p) => p.name ?? "");
    // At least one example names a party with æ/ø/å; none may come out as mojibake.
    expect(names.some((n) => /[æøåÆØÅ]/.test(n))).toBe(true);
    for (const name of names) expect(name).not.toMatch(/Ã|\uFFFD/);
  });
});
