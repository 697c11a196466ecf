import { Writable } from "node:stream";
import {
  buildLabResult,
  type LabResultInput,
  type LabResultObservation,
  type MessagingOrganization,
} from "@carehub/medcom-fhir";
import { buildLabReport, decodeXmlBytes, encodeXmlText, parseOioxmlMessage } from "@carehub/medcom-xml";
import { createLogger } from "@carehub/observability";
import type { LifecycleEvent, MessageLifecycle } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";
import { cprShapesIn } from "./src/patient-identifiers.ts";

/**
 * Issue 11 item 5, end to end through the real gateway, NATS and Redis: a practice's own FHIR lab results reach the
 * lab databank (registry `delivery.format: oioxml`, rule `lab-databank-copy`) as XRPT01 letters the hub makes —
 * the original and its correction, in that order — and nothing else: not a result with consent withheld, not a
 * result the practice received from a lab. docs/databank-mapping.md.
 */

// The harness's endpoints (test/src/harness.ts): the practice sends, Klamer is its addressee, the lab measured
// the result the practice passes on.
const PRACTICE: MessagingOrganization = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis" };
const KLAMER: MessagingOrganization = { sor: "271828000016003", gln: "5790000125012", name: "Finn Klamer" };
const LAB: MessagingOrganization = { sor: "161803000016005", gln: "5790000120284", name: "KKA Svendborg" };
const DATABANK_GLN = "5790000188888";

const CRP: LabResultObservation = {
  npu: "NPU19748",
  display: "P-CRP;massek.",
  status: "final",
  effective: "2026-03-02T09:35:00+01:00",
  value: { quantity: { value: 48, unit: "mg/l" } },
};

let sequence = 0;
function labResult(overrides: Partial<LabResultInput> = {}): { bytes: string; messageId: string } {
  sequence += 1;
  const hex = `${Date.now().toString(16)}${sequence.toString(16).padStart(4, "0")}`.slice(-12).padStart(12, "0");
  const messageId = `a1000000-0000-4000-8000-${hex}`;
  const built = buildLabResult({
    ids: { bundleId: `b1000000-0000-4000-8000-${hex}`, messageHeaderId: messageId },
    now: new Date().toISOString(),
    sender: PRACTICE,
    receiver: KLAMER,
    patient: { identifier: { system: "cpr", value: "1212778221" }, family: "Mortensen", given: ["Jens"] },
    issued: "2026-03-02T10:05:00+01:00",
    status: "final",
    consentGiven: true,
    specimen: { identifier: `P-${hex}`, collected: "2026-03-02T09:30:00+01:00" },
    observations: [CRP],
    ...overrides,
  });
  return { bytes: built.json, messageId };
}

type Of<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;

describe("a practice's own lab results reach the lab databank as XRPT01 letters", () => {
  let h: Harness;
  const logLines: string[] = [];
  beforeAll(async () => {
    const logs = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({ logger: createLogger({ name: "carehub", level: "debug", destination: logs }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function send(bytes: string): Promise<string> {
    const response = await h.send("practice", bytes, "application/fhir+json");
    expect(response.status, await response.clone().text()).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }
  const routed = async (hubId: string) =>
    (await h.waitForEvents((e) => e.type === "routed" && e.hubId === hubId))[0] as Of<"routed">;
  const translated = async (hubId: string) =>
    (await h.waitForEvents((e) => e.type === "translated" && e.hubId === hubId))[0] as Of<"translated">;
  async function lifecycle(hubId: string, holds: (m: MessageLifecycle) => boolean): Promise<MessageLifecycle> {
    return h.waitFor(async () => {
      const response = await fetch(`${h.url}/v1/messages/${hubId}`, {
        headers: { authorization: `Bearer ${h.token("operator")}` },
      });
      if (response.status !== 200) return undefined;
      const record = (await response.json()) as MessageLifecycle;
      return holds(record) ? record : undefined;
    }, `the record of ${hubId}`);
  }

  it("sends exactly the original and its svar_rettet correction, in that order, and nothing else", async () => {
    // The databank is away while the original and its correction arrive: the correction's letter must wait.
    h.receiver("databank").setDown(true);
    const original = labResult();
    const originalId = await send(original.bytes);
    const originalLetter = await translated(originalId);
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === originalLetter.letterHubId);

    const sample = (
      JSON.parse(original.bytes) as {
        entry: Array<{ resource: { resourceType: string; identifier?: Array<{ value: string }> } }>;
      }
    ).entry.find((e) => e.resource.resourceType === "Specimen")?.resource.identifier?.[0]?.value;
    const correction = labResult({
      link: { type: "modified", to: { messageId: original.messageId } },
      status: "corrected",
      specimen: { identifier: sample ?? "", collected: "2026-03-02T09:30:00+01:00" },
      observations: [{ ...CRP, status: "corrected", value: { quantity: { value: 4.8, unit: "mg/l" } } }],
    });
    const correctionId = await send(correction.bytes);
    const correctionLetter = await translated(correctionId);

    const withheld = await send(labResult({ consentGiven: false }).bytes);
    const received = await send(labResult({ observations: [{ ...CRP, performer: LAB }] }).bytes);

    // Every message reaches its addressee as sent; only the practice's own, shareable results are translated.
    for (const hubId of [originalId, correctionId, withheld, received]) {
      await h.receiver("klamer").waitFor((d) => d.some((x) => x.hubId === hubId && x.status === 200));
      expect((await routed(hubId)).receivers).toEqual(["klamer"]);
    }
    expect((await routed(withheld)).ruleCopies).toEqual([]);
    expect((await routed(received)).ruleCopies).toEqual([]);
    const events = await h.events();
    expect(events.filter((e) => e.type === "translated").map((e) => e.hubId)).toEqual([originalId, correctionId]);
    const databankCopies = (await h.streamMessages("outbox")).filter(
      (m) => m.headers["Carehub-Receiver"] === "databank",
    );
    expect(databankCopies.map((m) => m.headers["Carehub-Translated-From"])).toEqual([originalId, correctionId]);

    h.receiver("databank").setDown(false);
    const letters = [originalLetter.letterHubId, correctionLetter.letterHubId];
    await h
      .receiver("databank")
      .waitFor((d) => d.some((x) => x.hubId === correctionLetter.letterHubId && x.status === 200));
    const accepted = h.receiver("databank").accepted();
    expect(accepted.map((d) => d.hubId)).toEqual(letters);
    expect(accepted.map((d) => d.messageId)).toEqual([originalLetter.letterId, correctionLetter.letterId]);
    // The correction never even tried while the original's letter was undelivered.
    expect(
      (await h.events()).some((e) => e.type === "delivery-failed" && e.hubId === correctionLetter.letterHubId),
    ).toBe(false);

    const [first, second] = accepted.map((d) => {
      const parsed = parseOioxmlMessage(d.body);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const decoded = decodeXmlBytes(d.body);
      return { message: parsed.message, xml: decoded.ok ? decoded.text : "" };
    });
    for (const letter of [first, second]) {
      expect(letter?.message).toMatchObject({ format: "oioxml", kind: "lab-result", sender: { gln: PRACTICE.gln } });
      expect(letter?.message.receivers.map((r) => r.gln)).toEqual([DATABANK_GLN]);
      expect(letter?.message.content).toMatchObject({ letterType: "XRPT01", consentGiven: true, sampleId: sample });
    }
    expect(first?.xml).toContain("<StatusCode>nytbrev</StatusCode>");
    expect(first?.xml).toContain("<ResultStatusCode>svar_endeligt</ResultStatusCode>");
    expect(second?.xml).toContain("<StatusCode>rettetbrev</StatusCode>");
    expect(second?.xml).toContain("<ResultStatusCode>svar_rettet</ResultStatusCode>");
    expect(second?.xml).toContain("<Value>4,8</Value>");
  });

  it("orders a FHIR correction after its OIOXML original, which reached the databank as sent", async () => {
    h.receiver("databank").setDown(true);
    const sample = `X-${Date.now()}`;
    const letterId = `${Date.now()}`.slice(-14);
    const xml = buildLabReport({
      ids: { envelopeId: `9${letterId}`.slice(0, 14), letterId },
      now: new Date(),
      sender: { gln: PRACTICE.gln, name: PRACTICE.name },
      receiver: { gln: KLAMER.gln, name: KLAMER.name },
      patient: { cpr: "1212778221", consentGiven: true },
      sample: { laboratorySampleId: sample },
      results: [{ analysisCode: "NPU19748", status: "svar_endeligt", value: "48", unit: "mg/l" }],
    });
    const response = await h.send("practice", encodeXmlText(xml), "application/xml");
    expect(response.status).toBe(202);
    const originalId = ((await response.json()) as { id: string }).id;
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === originalId && e.endpoint === "databank");

    const correctionId = await send(
      labResult({
        link: { type: "modified", to: { messageId: letterId, senderGln: PRACTICE.gln } },
        status: "corrected",
        specimen: { identifier: sample },
        observations: [{ ...CRP, status: "corrected", value: { quantity: { value: 4.8, unit: "mg/l" } } }],
      }).bytes,
    );
    const letter = await translated(correctionId);
    const copy = (await h.streamMessages("outbox")).find((m) => m.headers["Carehub-Hub-Id"] === letter.letterHubId);
    expect(copy?.headers["Carehub-After"]).toBe(originalId);

    h.receiver("databank").setDown(false);
    await h.receiver("databank").waitFor((d) => d.some((x) => x.hubId === letter.letterHubId && x.status === 200));
    const order = h
      .receiver("databank")
      .accepted()
      .map((d) => d.hubId)
      .filter((id) => id === originalId || id === letter.letterHubId);
    expect(order).toEqual([originalId, letter.letterHubId]);
  });

  it("never passes a retraction on (the databank takes no deletions), and shows operators why", async () => {
    const original = labResult();
    const originalId = await send(original.bytes);
    await translated(originalId);
    const retraction = labResult({
      link: { type: "retract", to: { messageId: original.messageId } },
      status: "entered-in-error",
      observations: [{ ...CRP, status: "entered-in-error" }],
    });
    const retractionId = await send(retraction.bytes);
    await h.receiver("klamer").waitFor((d) => d.some((x) => x.hubId === retractionId && x.status === 200));
    const [dead] = await h.waitForEvents(
      (e) => e.type === "dead-lettered" && e.hubId === retractionId && e.endpoint === "databank",
    );
    expect(dead).toMatchObject({ stage: "router", reason: { code: "CAREHUB_ERR_TRANSLATE_RETRACTION" } });
    const events = await h.events();
    expect(events.some((e) => e.type === "translated" && e.hubId === retractionId)).toBe(false);
    const copies = (await h.streamMessages("outbox")).filter((m) => m.headers["Carehub-Receiver"] === "databank");
    expect(copies.some((m) => m.headers["Carehub-Translated-From"] === retractionId)).toBe(false);
    expect(copies.some((m) => m.headers["Carehub-Hub-Id"] === retractionId)).toBe(false);
  });

  it("refuses a result addressed to the databank itself that cannot be shared, and tells the practice", async () => {
    const databank: MessagingOrganization = { sor: "112358000016006", gln: DATABANK_GLN, name: "Laboratoriedatabasen" };
    const message = labResult({ receiver: databank, consentGiven: false });
    const hubId = await send(message.bytes);
    const [rejected] = await h.waitForEvents((e) => e.type === "rejected" && e.hubId === hubId);
    expect(rejected).toMatchObject({ stage: "router", issues: [{ code: "CAREHUB_ERR_TRANSLATE_CONSENT_WITHHELD" }] });
    // The practice's negative acknowledgement answers the message on its OUTBOX; nothing goes to the databank.
    await h.waitFor(async () => {
      const answers = (await h.streamMessages("outbox")).filter(
        (m) =>
          m.subject === `${h.namespace}.outbox.practice` &&
          new TextDecoder().decode(m.data).includes(message.messageId),
      );
      return answers.length > 0 ? answers : undefined;
    }, "the practice's negative acknowledgement");
    const events = await h.events();
    expect(events.some((e) => e.type === "translated" && e.hubId === hubId)).toBe(false);
    expect(events.some((e) => e.type === "routed" && e.hubId === hubId)).toBe(false);
    const databankCopies = (await h.streamMessages("outbox")).filter(
      (m) => m.subject === `${h.namespace}.outbox.databank`,
    );
    expect(
      databankCopies.some((m) => [m.headers["Carehub-Hub-Id"], m.headers["Carehub-Translated-From"]].includes(hubId)),
    ).toBe(false);
  });

  it("links each letter and its source in both timelines", async () => {
    const source = await send(labResult().bytes);
    const letter = await translated(source);
    await h.receiver("databank").waitFor((d) => d.some((x) => x.hubId === letter.letterHubId && x.status === 200));
    const sourceRecord = await lifecycle(source, (m) => (m.links.translatedTo ?? []).length > 0);
    expect(sourceRecord.links.translatedTo).toEqual([letter.letterHubId]);
    expect(sourceRecord.hops.find((hop) => hop.type === "translated")).toMatchObject({
      endpoint: "databank",
      code: "XRPT01",
    });
    const letterRecord = await lifecycle(letter.letterHubId, (m) => m.status === "delivered");
    expect(letterRecord).toMatchObject({
      messageId: letter.letterId,
      kind: "lab-result",
      sender: "practice",
      receivers: ["databank"],
      links: { translatedFrom: source },
    });
  });

  it("names no patient in any log line or event of the translations (the letters carry the CPR number, nothing else)", async () => {
    const events = (await h.events()).filter(
      (e) =>
        e.type === "translated" ||
        (e.type === "routed" && e.translatedFrom !== undefined) ||
        e.type === "dead-lettered",
    );
    expect(events.length).toBeGreaterThanOrEqual(6);
    expect(cprShapesIn(events)).toEqual([]);
    expect(logLines.length).toBeGreaterThan(0);
    expect(cprShapesIn(logLines)).toEqual([]);
    expect(logLines.join("")).not.toContain("Mortensen");
  });
});
