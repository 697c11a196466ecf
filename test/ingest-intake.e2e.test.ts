import { readFileSync } from "node:fs";
import type { LifecycleEvent } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";
import { cprShapesIn } from "./src/patient-identifiers.ts";

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
// Both EAN location numbers fail the GS1 check digit (known-bad, see the examples README).
const badLabReport = readFileSync(`${EXAMPLES}/oioxml/XRPT01_1.xml`);

type Rejected = Extract<LifecycleEvent, { type: "rejected" }>;

describe("intake rejections end to end (whole hub, real NATS, Redis and HTTP)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const rejectedFor = async (hubId: string) =>
    (await h.waitForEvents((e) => e.type === "rejected" && e.hubId === hubId))[0] as Rejected;

  it("rejects a message whose sender SOR is another endpoint's, and answers the real sender", async () => {
    // The practice sends the acute team's HomeCareObservation as if it were the acute team.
    const response = await h.send("practice", homecare, "application/fhir+json");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const rejected = await rejectedFor(id);
    expect(rejected).toMatchObject({ stage: "intake", sourceEndpoint: "practice" });
    expect(rejected.issues.map((i) => i.code)).toContain("CAREHUB_ERR_INTAKE_SENDER_MISMATCH");
    expect(cprShapesIn(rejected)).toEqual([]);
    // The negative acknowledgement is on the practice's OUTBOX — never the spoofed acute team's...
    const outbox = await h.waitFor(async () => {
      const found = (await h.streamMessages("outbox")).filter((m) => m.subject === `${h.namespace}.outbox.practice`);
      return found.length > 0 ? found : undefined;
    }, "the negative acknowledgement on OUTBOX");
    expect(outbox[0]?.headers).toMatchObject({
      "Carehub-Kind": "acknowledgement",
      "Carehub-Source-Endpoint": "carehub",
    });
    const ack = JSON.parse(Buffer.from(outbox[0]?.data ?? []).toString());
    expect(ack.entry[0].resource.response.code).toBe("fatal-error");
    expect((await h.streamMessages("outbox")).some((m) => m.subject.endsWith(".outbox.acute-team"))).toBe(false);
    // ...and the dispatcher delivers it to the practice's webhook.
    const [delivery] = await h.receiver("practice").waitFor((d) => d.some((x) => x.kind === "acknowledgement"));
    expect(delivery?.messageId).toBe(outbox[0]?.headers["Carehub-Message-Id"]);
    expect(JSON.parse(delivery?.body.toString() ?? "{}").entry[0].resource.response.identifier).toBe(
      "489de4f2-0d8d-4de2-a7ce-ccb93568799f",
    );
  });

  it("answers a repeat of the rejected message as the first copy was answered, under a new Bundle.id (MedCom)", async () => {
    const first = (await (await h.send("practice", homecare, "application/fhir+json")).json()) as { id: string };
    const repeat = await h.send("practice", homecare, "application/fhir+json");
    expect(repeat.status).toBe(200);
    const acks = await h.waitFor(async () => {
      const found = (await h.streamMessages("outbox")).filter((m) => m.subject.endsWith(".outbox.practice"));
      return found.length >= 2 ? found : undefined;
    }, "the acknowledgement sent again");
    const [firstAck, again] = acks.map((m) => JSON.parse(Buffer.from(m.data).toString()));
    expect(again.entry[0].resource.response).toEqual(firstAck.entry[0].resource.response);
    expect(again.id).not.toBe(firstAck.id);
    expect(again.entry[0].resource.id).not.toBe(firstAck.entry[0].resource.id);
    expect(acks[1]?.headers["Carehub-Hub-Id"]).not.toBe(acks[0]?.headers["Carehub-Hub-Id"]);
    expect(first.id).toBeDefined();
  });

  it("rejects an invalid OIOXML letter with every issue and an XCTL02 negative receipt to its sender", async () => {
    const response = await h.send("lab", badLabReport, "application/xml");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const rejected = await rejectedFor(id);
    const codes = rejected.issues.map((i) => i.code);
    expect(codes).toContain("CAREHUB_ERR_OIOXML_GLN_CHECK_DIGIT");
    const [receipt] = await h.receiver("lab").waitFor((d) => d.some((x) => x.kind === "acknowledgement"));
    const text = receipt?.body.toString("latin1") ?? "";
    expect(text).toContain("<StatisticalCode>XCTL02</StatisticalCode>");
    expect(text).toContain("<OriginalLetterIdentifier>80901082504854</OriginalLetterIdentifier>");
    // The letter's patient (CPR 0101604896) appears in no field of any event about it, in any spelling.
    const events = await h.waitForEvents((e) => e.hubId === id);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["received", "rejected"]));
    expect(cprShapesIn(events)).toEqual([]);
  });

  it("keeps bytes in no known format on INGRESS, rejects them and dead-letters them (no MedCom answer is possible)", async () => {
    const invoice = "<invoice>not a MedCom message</invoice>";
    const response = await h.send("klamer", invoice, "application/xml");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await rejectedFor(id);
    await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === id);
    // Its hub id names its INGRESS position (no id could be read), where its bytes stay.
    const stored = (await h.streamMessages("ingress")).find((m) => Buffer.from(m.data).toString() === invoice);
    expect(stored).toBeDefined();
    const dead = (await h.streamMessages("dlq")).find((m) => m.headers["Carehub-Original-Seq"] === String(stored?.seq));
    expect(dead?.headers["Carehub-Error-Code"]).toBe("CAREHUB_ERR_INTAKE_UNANSWERABLE");
    expect(h.receiver("klamer").deliveries).toHaveLength(0);
  });
});
