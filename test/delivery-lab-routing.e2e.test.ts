import { readFileSync } from "node:fs";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import type { LifecycleEvent, Party } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * The lab routing rules, end to end with the default harness registry (rule `lab-databank-copy`: a lab
 * result a practice produced also goes to the national lab databank, consent permitting):
 * consent-withheld results never reach the databank; practice-produced results do; results a practice
 * received are not forwarded; and a correction follows its original at every receiver.
 */

const PRACTICE: Party = { gln: "5790000127092", name: "Skødstrup Lægepraksis" };
const KLAMER: Party = { gln: "5790000125012", name: "Finn Klamer" };
const LAB: Party = { gln: "5790000120284", name: "Svendborg" };
const EXAMPLES = medcomExamplesDir();

let letters = 0;
function labReport(options: {
  sender: Party;
  receiver: Party;
  letterId?: string;
  consentGiven?: boolean;
  sample?: string;
  corrected?: boolean;
}): { bytes: Uint8Array; letterId: string } {
  letters += 1;
  const letterId = options.letterId ?? `L${Date.now() % 1_000_000}${letters}`.slice(0, 14);
  const xml = buildLabReport({
    ids: { envelopeId: `E${letterId}`.slice(0, 14), letterId },
    now: new Date(),
    statusCode: options.corrected ? "rettetbrev" : "nytbrev",
    sender: options.sender,
    receiver: options.receiver,
    patient: {
      cpr: "1212778221",
      ...(options.consentGiven === undefined ? {} : { consentGiven: options.consentGiven }),
    },
    sample: { laboratorySampleId: options.sample ?? `S${letterId}` },
    results: [
      {
        analysisCode: "NPU01807",
        status: options.corrected ? "svar_rettet" : "svar_endeligt",
        value: "7.1",
        unit: "mmol/l",
      },
    ],
  });
  return { bytes: encodeXmlText(xml), letterId };
}

type Of<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;

describe("lab routing end to end", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function send(from: string, bytes: Uint8Array, contentType = "application/xml"): Promise<string> {
    const response = await h.send(from, bytes, contentType);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }
  const routed = async (hubId: string) =>
    (await h.waitForEvents((e) => e.type === "routed" && e.hubId === hubId))[0] as Of<"routed">;
  const deliveredTo = (endpoint: string, hubId: string) =>
    h.receiver(endpoint).waitFor((d) => d.some((x) => x.hubId === hubId && x.status === 200));
  const outboxOf = async (hubId: string) =>
    (await h.streamMessages("outbox")).filter((m) => m.headers["Carehub-Hub-Id"] === hubId);

  it("sends a result a practice produced to its receiver and to the databank", async () => {
    const report = labReport({ sender: PRACTICE, receiver: KLAMER });
    const hubId = await send("practice", report.bytes);
    expect(await routed(hubId)).toMatchObject({
      receivers: ["klamer", "databank"],
      ruleCopies: [{ endpoint: "databank", rule: "lab-databank-copy" }],
    });
    await deliveredTo("klamer", hubId);
    await deliveredTo("databank", hubId);
    expect(h.receiver("databank").accepted(report.letterId)).toHaveLength(1);
  });

  it("never sends a consent-withheld result to the databank, but delivers it to its receiver", async () => {
    const report = labReport({ sender: PRACTICE, receiver: KLAMER, consentGiven: false });
    const hubId = await send("practice", report.bytes);
    expect((await routed(hubId)).receivers).toEqual(["klamer"]);
    await deliveredTo("klamer", hubId);
    expect((await outboxOf(hubId)).map((m) => m.headers["Carehub-Receiver"])).toEqual(["klamer"]);
    expect(h.receiver("databank").deliveries.some((d) => d.hubId === hubId)).toBe(false);
  });

  it("does not forward to the databank a result the practice received and passes on", async () => {
    const fromLab = labReport({ sender: LAB, receiver: PRACTICE });
    const labHubId = await send("lab", fromLab.bytes);
    expect((await routed(labHubId)).receivers).toEqual(["practice"]);
    await deliveredTo("practice", labHubId);

    // The practice passes the same letter on to a colleague: it received it, it did not produce it.
    const passedOn = labReport({ sender: PRACTICE, receiver: KLAMER, letterId: fromLab.letterId });
    const hubId = await send("practice", passedOn.bytes);
    const event = await routed(hubId);
    expect(event.receivers).toEqual(["klamer"]);
    expect(event.ruleCopies).toEqual([]);
    await deliveredTo("klamer", hubId);
    expect(h.receiver("databank").deliveries.some((d) => d.hubId === hubId || d.hubId === labHubId)).toBe(false);
  });

  it("makes a corrected result follow its original at every receiver, even when the original is held up", async () => {
    h.receiver("klamer").setDown(true);
    h.receiver("databank").setDown(true);
    const sample = `SAMPLE-${Date.now()}`;
    const original = labReport({ sender: PRACTICE, receiver: KLAMER, sample });
    const originalId = await send("practice", original.bytes);
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === originalId && e.endpoint === "databank");
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === originalId && e.endpoint === "klamer");

    const correction = labReport({ sender: PRACTICE, receiver: KLAMER, sample, corrected: true });
    const correctionId = await send("practice", correction.bytes);
    await routed(correctionId);
    const copies = await outboxOf(correctionId);
    expect(copies.map((c) => [c.headers["Carehub-Receiver"], c.headers["Carehub-After"]]).sort()).toEqual([
      ["databank", originalId],
      ["klamer", originalId],
    ]);
    h.receiver("klamer").setDown(false);
    h.receiver("databank").setDown(false);

    for (const endpoint of ["klamer", "databank"]) {
      await deliveredTo(endpoint, correctionId);
      const order = h
        .receiver(endpoint)
        .accepted()
        .map((d) => d.hubId)
        .filter((id) => id === originalId || id === correctionId);
      expect(order, endpoint).toEqual([originalId, correctionId]);
    }
    // The correction never even tried while its original was undelivered.
    const events = await h.events();
    expect(events.some((e) => e.type === "delivery-failed" && e.hubId === correctionId)).toBe(false);
  });

  it("makes a FHIR correction (linked to its original) follow it at the practice", async () => {
    const original = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
    const correction = readFileSync(
      `${EXAMPLES}/fhir/homecareobservation/ig-73996cdc-3192-4d15-bd16-c365ef0085e7.json`,
    );
    h.receiver("practice").setDown(true);
    const originalId = await send("acute-team", original, "application/fhir+json");
    await h.waitForEvents((e) => e.type === "delivery-failed" && e.hubId === originalId);
    const correctionId = await send("acute-team", correction, "application/fhir+json");
    await routed(correctionId);
    h.receiver("practice").setDown(false);
    await deliveredTo("practice", correctionId);
    const order = h
      .receiver("practice")
      .accepted()
      .map((d) => d.hubId)
      .filter((id) => id === originalId || id === correctionId);
    expect(order).toEqual([originalId, correctionId]);
  });
});
