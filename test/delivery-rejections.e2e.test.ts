import { readFileSync } from "node:fs";
import { parseOioxmlMessage } from "@carehub/medcom-xml";
import type { LifecycleEvent } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";

/**
 * Messages the router cannot deliver are rejected, never dropped: a `rejected` event (stage router) with the
 * exact reason, and a negative acknowledgement to the sender — a FHIR Acknowledgement `fatal-error` or an
 * OIOXML XCTL02 — delivered to the sender's own endpoint. A repeat of the message gets the same answer.
 */

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const homecareToAgerskov = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-ReceiveTestExample1.json`);
const labReport = readFileSync(`${EXAMPLES}/oioxml/XRPT01_2.xml`);
const referral = readFileSync(`${EXAMPLES}/oioxml/XREF01_1.xml`);
const ACK = "acknowledgement" as const;

const ENDPOINTS: HarnessEndpoint[] = [
  {
    id: "acute-team",
    name: "acute team",
    kind: "municipality",
    identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
    sends: ["homecare-observation", ACK],
    accepts: [ACK],
  },
  {
    id: "acute-team-test",
    name: "acute team (test examples)",
    kind: "municipality",
    identifiers: { sor: ["1267041000016006"], gln: ["5790002757778"] },
    sends: ["homecare-observation", ACK],
    accepts: [ACK],
  },
  // Addressed by the HomeCareObservation example, but takes lab results only.
  {
    id: "practice",
    name: "Skødstrup Lægepraksis",
    kind: "practice",
    identifiers: { sor: ["52581000016005"], gln: ["5790000127092"] },
    sends: [ACK],
    accepts: ["lab-result", ACK],
  },
  {
    id: "lab",
    name: "Svendborg lab",
    kind: "laboratory",
    identifiers: { gln: ["5790000120284"] },
    sends: ["lab-result", ACK],
    accepts: [ACK],
  },
  // Addressed by XRPT01_2, but takes home-care observations only.
  {
    id: "klamer",
    name: "Finn Klamer",
    kind: "practice",
    identifiers: { gln: ["5790000125012"] },
    sends: [ACK],
    accepts: ["homecare-observation", ACK],
  },
  {
    id: "laegehuset",
    name: "Lægehuset, Hillerød",
    kind: "practice",
    identifiers: { gln: ["5790000121526"] },
    sends: ["referral", ACK],
    accepts: [ACK],
  },
];

type Rejected = Extract<LifecycleEvent, { type: "rejected" }>;

describe("router rejections end to end", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function send(from: string, bytes: Uint8Array, contentType: string): Promise<string> {
    const response = await h.send(from, bytes, contentType);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }
  const rejectedFor = async (hubId: string) =>
    (await h.waitForEvents((e) => e.type === "rejected" && e.hubId === hubId))[0] as Rejected;
  const answerTo = async (endpoint: string, count = 1) =>
    (await h.receiver(endpoint).waitFor((d) => d.filter((x) => x.kind === ACK).length >= count)).filter(
      (x) => x.kind === ACK,
    );

  it("rejects a HomeCareObservation its receiver does not accept, answering fatal-error with the exact reason", async () => {
    const hubId = await send("acute-team", homecare, "application/fhir+json");
    const rejected = await rejectedFor(hubId);
    expect(rejected).toMatchObject({ stage: "router", sourceEndpoint: "acute-team", kind: "homecare-observation" });
    expect(rejected.issues).toEqual([
      {
        code: "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED",
        path: "Bundle.entry[0].resource.destination[0].receiver",
        message:
          "the receiver SOR 52581000016005 / GLN 5790000127092 (endpoint practice) does not accept homecare-observation messages",
        medcomCode: "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE",
      },
    ]);
    const [answer] = await answerTo("acute-team");
    const bundle = JSON.parse(answer?.body.toString() ?? "{}");
    expect(bundle.entry[0].resource.response).toMatchObject({
      identifier: "489de4f2-0d8d-4de2-a7ce-ccb93568799f",
      code: "fatal-error",
    });
    const outcome = bundle.entry.find(
      (e: { resource: { resourceType: string } }) => e.resource.resourceType === "OperationOutcome",
    );
    expect(JSON.stringify(outcome)).toContain("MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE");
    expect(JSON.stringify(outcome)).toContain("does not accept homecare-observation messages");
    expect(h.receiver("practice").deliveries).toHaveLength(0);
    const events = await h.events();
    expect(events.some((e) => e.type === "routed" && e.hubId === hubId)).toBe(false);
  });

  it("answers a repeat of the rejected message with the same negative acknowledgement under a new Bundle.id", async () => {
    const repeat = await h.send("acute-team", homecare, "application/fhir+json");
    expect(repeat.status).toBe(200);
    const answers = await answerTo("acute-team", 2);
    const [first, again] = answers.map((a) => JSON.parse(a.body.toString()));
    // MedCom: the same outcome, issues and response.identifier; a new Bundle.id, MessageHeader.id and timestamp.
    expect(again.entry[0].resource.response).toEqual(first.entry[0].resource.response);
    const outcome = (bundle: { entry: { resource: { resourceType: string } }[] }) =>
      bundle.entry.find((e) => e.resource.resourceType === "OperationOutcome")?.resource;
    expect(outcome(again)).toEqual(outcome(first));
    expect(again.id).not.toBe(first.id);
    expect(again.entry[0].resource.id).not.toBe(first.entry[0].resource.id);
  });

  it("rejects a message to an unknown receiver with MSG_Receiver_Identifier_UNKNOWN", async () => {
    const hubId = await send("acute-team-test", homecareToAgerskov, "application/fhir+json");
    const rejected = await rejectedFor(hubId);
    expect(rejected.issues).toEqual([
      {
        code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
        path: "Bundle.entry[0].resource.destination[0].receiver",
        message: "no endpoint is registered for the receiver SOR 73091000016008 / GLN 5790000147465",
        medcomCode: "MSG_Receiver_Identifier_UNKNOWN",
      },
    ]);
    const [answer] = await answerTo("acute-team-test");
    const bundle = JSON.parse(answer?.body.toString() ?? "{}");
    expect(bundle.entry[0].resource.response).toMatchObject({
      identifier: "ReceiveTestExample1-MessageHeader",
      code: "fatal-error",
    });
    expect(answer?.body.toString()).toContain("MSG_Receiver_Identifier_UNKNOWN");
  });

  it("answers an OIOXML lab report its receiver does not accept with an XCTL02 (problem_med_modtagerID)", async () => {
    const hubId = await send("lab", labReport, "application/xml");
    expect((await rejectedFor(hubId)).issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED"]);
    const [answer] = await answerTo("lab");
    const parsed = parseOioxmlMessage(answer?.body ?? Buffer.alloc(0));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.message.standard).toBe("XCTL02");
    expect(parsed.message.content).toMatchObject({ kind: ACK, code: "fatal-error", respondsTo: "80901082504859" });
    expect(answer?.body.toString("latin1")).toContain("<RefuseCode>problem_med_modtagerID</RefuseCode>");
    expect(h.receiver("klamer").deliveries).toHaveLength(0);
  });

  it("answers an OIOXML referral to an unknown location number with an XCTL02 (ukendt_lokationsnummer)", async () => {
    const hubId = await send("laegehuset", referral, "application/xml");
    const rejected = await rejectedFor(hubId);
    expect(rejected.issues[0]).toMatchObject({
      code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
      path: "Emessage/*/Receiver",
      message: "no endpoint is registered for the receiver GLN 5790000201389",
    });
    const [answer] = await answerTo("laegehuset");
    expect(answer?.body.toString("latin1")).toContain("<RefuseCode>ukendt_lokationsnummer</RefuseCode>");
    expect(answer?.body.toString("latin1")).toContain("<OriginalLetterIdentifier>Brv5678</OriginalLetterIdentifier>");
  });
});
