import type { ParsedMessage, ParseResult } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { jsonMessageExamples, xmlMessageExamples } from "../test/examples.ts";
import { parseFhirMessage } from "./parse-fhir-message.ts";
import { serializeFhirXml } from "./xml/serialize-fhir-xml.ts";

const KIND_BY_FOLDER: Record<string, ParsedMessage["kind"]> = {
  acknowledgement: "acknowledgement",
  carecommunication: "care-communication",
  "empty-message": "empty",
  homecareobservation: "homecare-observation",
  hospitalnotification: "hospital-notification",
};

function parsed(result: ParseResult): ParsedMessage {
  if (!result.ok) throw new Error(`expected a valid message, got ${JSON.stringify(result.issues, null, 2)}`);
  return result.message;
}

function sorOf(endpoint: unknown): string | undefined {
  return typeof endpoint === "string" ? /#id=(\d+)$/.exec(endpoint)?.[1] : undefined;
}

const jsonExamples = jsonMessageExamples();
const byId = (prefix: string) => {
  const found = jsonExamples.find((e) => e.name.includes(prefix));
  if (found === undefined) throw new Error(`example ${prefix} not found`);
  return parsed(parseFhirMessage(found.text));
};

describe("parseFhirMessage on MedCom's published examples", () => {
  it("finds the FHIR message examples (non-Bundle files are skipped by rule)", () => {
    expect(jsonExamples.length).toBeGreaterThanOrEqual(30);
    expect(jsonExamples.every((e) => e.json.resourceType === "Bundle")).toBe(true);
  });

  it.each(jsonExamples.map((e) => [e.name, e] as const))("%s parses to its kind, ids and parties", (_name, example) => {
    const message = parsed(parseFhirMessage(example.text));
    const entries = example.json.entry as Array<{ resource: Record<string, unknown> }>;
    const header = entries[0]?.resource as Record<string, unknown> & {
      sender?: unknown;
      destination?: Array<{ endpoint?: string; receiver?: unknown }>;
    };
    expect(message.kind).toBe(KIND_BY_FOLDER[example.folder]);
    expect(message.format).toBe("fhir+json");
    expect(message.messageId).toBe(header.id);
    expect(message.envelopeId).toBe(example.json.id);
    expect(message.sentAt).toBe(example.json.timestamp);
    expect(message.ackRequested).toBe(message.kind !== "acknowledgement");
    expect(message.receivers).toHaveLength(1);
    // Independently of the parser: follow the references by hand to the organizations' SOR ids.
    const sorOfOrganization = (ref: unknown) => {
      const id = String((ref as { reference?: string } | undefined)?.reference)
        .split("/")
        .at(-1);
      const org = entries.find((e) => e.resource.resourceType === "Organization" && e.resource.id === id)?.resource;
      const ids = (org?.identifier ?? []) as Array<{ system?: string; value?: string }>;
      return ids.find((i) => i.system === "urn:oid:1.2.208.176.1.1")?.value;
    };
    expect(message.sender.sor).toBe(sorOfOrganization(header.sender));
    expect(message.receivers[0]?.sor).toBe(sorOfOrganization(header.destination?.[0]?.receiver));
    // The destination endpoint names the receiver's SOR id once more.
    const receiverSor = sorOf(header.destination?.[0]?.endpoint);
    if (receiverSor !== undefined) expect(message.receivers[0]?.sor).toBe(receiverSor);
    expect(message.sender.gln).toMatch(/^579\d{10}$/);
  });

  it("reads conversation links from the Provenance of the message itself", () => {
    expect(byId("ig-0d5b3c18").links).toEqual({});
    expect(byId("ig-3dcb5618").links).toEqual({ inReplyTo: { messageId: "d5bd2111-2576-48d3-84d4-8be0297a038d" } });
    expect(byId("ig-c0426e3e").links).toEqual({ forwards: { messageId: "4dff3695-218d-4878-838a-5f23cbba6f82" } });
    expect(byId("ig-73996cdc").links).toEqual({ corrects: { messageId: "489de4f2-0d8d-4de2-a7ce-ccb93568799f" } });
    expect(byId("ig-5f341feb").links).toEqual({ retracts: { messageId: "489de4f2-0d8d-4de2-a7ce-ccb93568799f" } });
    expect(byId("ig-bfab3e80").links).toEqual({ corrects: { messageId: "b9b4818e-02de-4cc4-b418-d20cbc7b5404" } });
    expect(byId("ig-c83671a4").links).toEqual({ retracts: { messageId: "b9b4818e-02de-4cc4-b418-d20cbc7b5404" } });
    expect(byId("ig-a8c041b8").links).toEqual({ inReplyTo: { messageId: "42cb9200-f421-4d08-8391-7d51a2503cb4" } });
  });

  it("reads a reply to an OIOXML letter as letter id + sender GLN", () => {
    expect(byId("ig-k7bfbc0c").links).toEqual({
      inReplyTo: { messageId: "B300720181623", senderGln: "5790000121526" },
    });
  });

  it("normalises each kind's content", () => {
    expect(byId("ig-faa0c104").content).toMatchObject({ kind: "homecare-observation", consentGiven: false });
    expect(byId("ig-401cbc36").content).toMatchObject({ kind: "homecare-observation", consentGiven: true });
    expect(byId("ig-g099bbf3").content).toEqual({
      kind: "hospital-notification",
      encounterClass: "IMP",
      encounterStatus: "finished",
      activity: "admit-inpatient",
      deceased: true,
    });
    expect(byId("ig-gfd00bc2").content).toMatchObject({ category: "regarding-referral", priority: "asap" });
    expect(byId("ig-bc9535ef").content).toEqual({
      kind: "acknowledgement",
      code: "fatal-error",
      respondsTo: "53128d9b-cede-4c7f-8904-809eab322d7d",
      issues: [{ severity: "error", code: "MSG_VALUESET_VALUE_UNKNOWN" }],
    });
    expect(byId("ig-0d5b3c18").patient?.system).toBe("x-ecpr");
    expect(byId("ig-a5e5b880").patient?.system).toBe("cpr");
  });
});

describe("XML and JSON forms of a message agree", () => {
  it.each(jsonExamples.map((e) => [e.name, e] as const))("%s as FHIR XML parses to the same message", (_n, example) => {
    const fromJson = parsed(parseFhirMessage(example.text));
    const fromXml = parsed(parseFhirMessage(serializeFhirXml(example.json)));
    expect(fromXml.format).toBe("fhir+xml");
    expect({ ...fromXml, format: fromJson.format }).toEqual(fromJson);
  });

  const xmlExamples = xmlMessageExamples();

  it("finds FHIR XML Bundles in the EHMI envelopes, written out and base64-encoded", () => {
    expect(xmlExamples.filter((e) => !e.name.endsWith("#base64")).length).toBeGreaterThanOrEqual(3);
    expect(xmlExamples.filter((e) => e.name.endsWith("#base64")).length).toBeGreaterThanOrEqual(3);
  });

  it.each(xmlExamples.map((e) => [e.name, e] as const))("%s parses as a valid message", (_name, example) => {
    expect(parsed(parseFhirMessage(example.xml)).format).toBe("fhir+xml");
  });

  it("parses MedCom's own XML acknowledgement like its JSON twin", () => {
    const xml = xmlExamples.find((e) => e.name.endsWith("ehmiMessage_Ack.xml"));
    expect(xml).toBeDefined();
    const fromXml = parsed(parseFhirMessage(xml?.xml ?? ""));
    const fromJson = byId("ig-a8c041b8");
    expect({ ...fromXml, format: "fhir+json" }).toEqual(fromJson);
  });

  it("parses MedCom's own XML HomeCareObservation (an earlier release) to the same ids, parties and patient", () => {
    const xml = xmlExamples.find((e) => e.name.endsWith("ehmiMessage.xml"));
    const fromXml = parsed(parseFhirMessage(xml?.xml ?? ""));
    const fromJson = byId("ig-401cbc36");
    for (const key of ["kind", "messageId", "envelopeId", "sentAt", "sender", "receivers", "patient", "links"] as const)
      expect(fromXml[key]).toEqual(fromJson[key]);
    expect(fromXml.content.kind === "homecare-observation" && fromXml.content.observations.map((o) => o.code)).toEqual(
      fromJson.content.kind === "homecare-observation" && fromJson.content.observations.map((o) => o.code),
    );
  });
});
