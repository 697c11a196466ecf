import { readFileSync } from "node:fs";
import { parseFhirMessage, serializeFhirXml } from "@carehub/medcom-fhir";
import { parseOioxmlMessage } from "@carehub/medcom-xml";
import type { ParsedMessage } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { repeatAnswerIds } from "./derived-ids.ts";
import { renewAcknowledgement } from "./renew-acknowledgement.ts";

const EXAMPLES = new URL("../../../test/fixtures/medcom/examples/", import.meta.url);
const fatal = readFileSync(new URL("fhir/acknowledgement/ig-bc9535ef-ed94-4060-a928-7baddec7ee71.json", EXAMPLES));
const ok = readFileSync(new URL("fhir/acknowledgement/ig-a8c041b8-c65a-4fde-a90f-962076918834.json", EXAMPLES));
const negativeReceipt = readFileSync(new URL("oioxml/XCTL02_1.xml", EXAMPLES));
const ids = repeatAnswerIds("first-hub-id", "copy-2");
const later = new Date("2026-03-01T10:11:00.000Z");

function parsed(bytes: Uint8Array, format?: "fhir+json" | "fhir+xml"): ParsedMessage {
  const result = format === undefined ? parseOioxmlMessage(bytes) : parseFhirMessage(bytes, { format });
  if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 3)));
  return result.message;
}

describe("renewAcknowledgement", () => {
  // MedCom's acknowledgement duplicate test scripts: same outcome and response.identifier, new Bundle.id,
  // MessageHeader.id and timestamp. Catches a resend of the stored bytes as they were (the bug this replaces).
  it.each([
    ["ok", ok],
    ["fatal-error", fatal],
  ])(
    "keeps a FHIR JSON %s acknowledgement's outcome under a new Bundle.id, MessageHeader.id and timestamp",
    (_, bytes) => {
      const before = parsed(bytes, "fhir+json");
      const renewed = renewAcknowledgement(bytes, "application/fhir+json", ids, later);
      if (renewed === undefined) throw new Error("not renewed");
      const after = parsed(renewed, "fhir+json");
      expect(after.content).toEqual(before.content);
      expect(after.messageId).toBe(ids.hubId);
      expect(after.envelopeId).toBe(ids.bundleId);
      expect(after.sentAt).toBe(later.toISOString());
      expect([after.messageId, after.envelopeId, after.sentAt]).not.toContain(before.messageId);
      expect(after.envelopeId).not.toBe(before.envelopeId);
      // The Provenance that names the acknowledgement's MessageHeader follows it to the new id.
      const targets = JSON.parse(Buffer.from(renewed).toString())
        .entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === "Provenance")
        .flatMap((e: { resource: { target: { reference: string }[] } }) => e.resource.target.map((t) => t.reference));
      expect(targets).toContain(`MessageHeader/${ids.hubId}`);
      expect(targets).not.toContain(`MessageHeader/${before.messageId}`);
    },
  );

  it("renews a FHIR XML acknowledgement the same way", () => {
    const xml = Buffer.from(serializeFhirXml(JSON.parse(fatal.toString())));
    const before = parsed(xml, "fhir+xml");
    const renewed = renewAcknowledgement(xml, "application/fhir+xml", ids, later);
    if (renewed === undefined) throw new Error("not renewed");
    const after = parsed(renewed, "fhir+xml");
    expect(after.content).toEqual(before.content);
    expect([after.messageId, after.envelopeId, after.sentAt]).toEqual([ids.hubId, ids.bundleId, later.toISOString()]);
  });

  it("renews an OIOXML receipt's envelope and letter ids and send time, keeping what it answers", () => {
    const before = parsed(negativeReceipt);
    const renewed = renewAcknowledgement(negativeReceipt, "application/xml", ids, later);
    if (renewed === undefined) throw new Error("not renewed");
    const after = parsed(renewed);
    expect(after.content).toEqual(before.content);
    expect(after.links).toEqual(before.links);
    expect([after.messageId, after.envelopeId]).toEqual([ids.letterId, ids.envelopeId]);
    expect(Date.parse(after.sentAt ?? "")).toBe(later.getTime());
    // Every byte but the ids and the time is kept (windows-1252 text included).
    expect(renewed.byteLength).toBe(
      negativeReceipt.byteLength + (ids.letterId.length - 10) + (ids.envelopeId.length - 12),
    );
  });

  it("gives nothing for bytes it cannot read rather than a wrong copy", () => {
    expect(renewAcknowledgement(Buffer.from("{}"), "application/fhir+json", ids, later)).toBeUndefined();
    expect(renewAcknowledgement(Buffer.from("<x/>"), "application/xml", ids, later)).toBeUndefined();
  });
});
