import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCollected, sharedHubEnv } from "@carehub/hub/testing";
import {
  buildAcknowledgement,
  buildReferral,
  buildStatusUpdate,
  type MessagingOrganization,
  parseFhirMessage,
} from "@carehub/medcom-fhir";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { startTestHub, type TestHub, TestHubAssertionError, type TestHubEndpoint } from "@carehub/testkit-hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The testkit's hub-in-a-test (@carehub/testkit-hub) as carehub's own e2e suite uses it: traffic sent to one hub,
 * recorded with `carehub record`, replayed into two fresh hubs gives the same normalised read model in both, and
 * the same as the original's; the assertions pass on what happened and fail, saying why, on what did not.
 */

const EXAMPLES = medcomExamplesDir();
const HOMECARE = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const LAB_REPORT = readFileSync(`${EXAMPLES}/oioxml/XRPT01_2.xml`);

// Identities as in MedCom's examples; Klamer's practice does not take lab results here, so XRPT01_2 is refused.
const ENDPOINTS: TestHubEndpoint[] = [
  {
    id: "acute-team",
    name: "Pleje og Rehabilitering (kommunal akutfunktion)",
    kind: "municipality",
    identifiers: { sor: ["1144561000016002"], gln: ["5790000123117"] },
    sends: ["homecare-observation", "acknowledgement"],
    accepts: ["acknowledgement"],
  },
  {
    id: "practice",
    name: "Skødstrup Lægepraksis",
    kind: "practice",
    identifiers: { sor: ["52581000016005"], gln: ["5790000127092"], ydernummer: "061654" },
    sends: ["acknowledgement"],
    accepts: ["homecare-observation", "acknowledgement"],
  },
  {
    id: "lab",
    name: "Klinisk Kemisk Afdeling, Sygehus Fyn Svendborg",
    kind: "laboratory",
    identifiers: { sor: ["161803000016005"], gln: ["5790000120284"] },
    sends: ["lab-result", "acknowledgement"],
    accepts: ["acknowledgement"],
  },
  {
    id: "klamer",
    name: "Finn Klamer",
    kind: "practice",
    identifiers: { sor: ["271828000016003"], gln: ["5790000125012"], ydernummer: "989897" },
    sends: ["acknowledgement"],
    accepts: ["homecare-observation", "acknowledgement"],
  },
];

const hubs: TestHub[] = [];
let original: TestHub;
let dir: string;
let observationId: string;
let labReportId: string;

async function fresh(): Promise<TestHub> {
  const hub = await startTestHub({ endpoints: ENDPOINTS, servers: "shared" });
  hubs.push(hub);
  return hub;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "carehub-testkit-hub-"));
  original = await fresh();
  const observation = await original.send("acute-team", HOMECARE, "application/fhir+json");
  const labReport = await original.send("lab", LAB_REPORT, "application/xml");
  expect([observation.status, labReport.status]).toEqual([202, 202]);
  observationId = observation.hubId ?? "";
  labReportId = labReport.hubId ?? "";
  await original.waitUntilQuiet();
});

afterAll(async () => {
  for (const hub of hubs) await hub.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("assertions on a test hub", () => {
  it("pass on what the hub did", async () => {
    await original.expectDeliveredTo(observationId, "practice");
    await original.expectRejectedWith(labReportId, "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED");
  });

  it("fail, naming what the hub shows instead", async () => {
    await expect(original.expectDeliveredTo(labReportId, "klamer")).rejects.toThrow(TestHubAssertionError);
    await expect(original.expectRejectedWith(observationId, "CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED")).rejects.toThrow(
      /delivered/,
    );
    await expect(original.expectRejectedWith(labReportId, "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER")).rejects.toThrow(
      /codes: CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED/,
    );
    await expect(original.expectAcknowledgedWith(observationId, "practice", "AA")).rejects.toThrow(/ack: none/);
  });
});

describe("waiting until quiet", () => {
  it("waits out a delivery the receiver refused once, until the retry got through", async () => {
    const hub = await fresh();
    hub.receiver("practice").failNext(1);
    const sent = await hub.send("acute-team", HOMECARE, "application/fhir+json");
    await hub.waitUntilQuiet();
    expect(hub.receiver("practice").deliveries.map((d) => d.status)).toEqual([503, 200]);
    await hub.expectDeliveredTo(sent.hubId ?? "", "practice");
  });
});

describe("a referral's business status", () => {
  const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
  const HOSPITAL: MessagingOrganization = { sor: "265161000016000", gln: "5790000209354", name: "Herlev Hospital" };
  const PATIENT = { identifier: { system: "cpr" as const, value: "2509479989" }, family: "Elmer", given: ["Bruno"] };
  const ids = () => ({ bundleId: randomUUID(), messageHeaderId: randomUUID() });

  it("is the one the hospital stated after acknowledging it; assertions naming another fail", async () => {
    const hub = await startTestHub({
      servers: "shared",
      endpoints: [
        {
          id: "practice-a",
          name: PRACTICE.name ?? "practice",
          kind: "practice",
          identifiers: { sor: [PRACTICE.sor], gln: [PRACTICE.gln] },
          sends: ["referral", "status-update", "acknowledgement"],
          accepts: ["status-update", "acknowledgement"],
        },
        {
          id: "hospital",
          name: HOSPITAL.name ?? "hospital",
          kind: "hospital",
          identifiers: { sor: [HOSPITAL.sor], gln: [HOSPITAL.gln] },
          sends: ["status-update", "acknowledgement"],
          accepts: ["referral", "status-update", "acknowledgement"],
        },
      ],
    });
    hubs.push(hub);
    const referral = buildReferral({
      ids: ids(),
      now: "2026-04-01T08:00:00Z",
      sender: PRACTICE,
      receiver: HOSPITAL,
      patient: PATIENT,
      referral: {
        id: "ref-1",
        category: "hospital",
        priority: "routine",
        reasonCode: "DJ449",
        authoredOn: "2026-04-01",
      },
    });
    const sent = await hub.send("practice-a", referral.json, "application/fhir+json");
    expect(sent.status).toBe(202);
    await hub.expectReferralStatus("practice-a", "ref-1", "sent");
    const parsed = parseFhirMessage(Buffer.from(referral.json), { format: "fhir+json" });
    if (!parsed.ok) throw new Error("the built referral does not parse");
    const { messageId, sender, receivers } = parsed.message;
    const ack = buildAcknowledgement({
      original: { messageId, sender, receivers },
      acknowledger: HOSPITAL,
      code: "ok",
      ids: ids(),
      now: "2026-04-01T08:30:00Z",
    });
    expect((await hub.send("hospital", ack.json, "application/fhir+json")).status).toBe(202);
    await hub.expectAcknowledgedWith(sent.hubId ?? "", "hospital", "ok");
    await expect(hub.expectAcknowledgedWith(sent.hubId ?? "", "hospital", "fatal-error")).rejects.toThrow(/ack: ok/);
    const booked = buildStatusUpdate({
      ids: ids(),
      now: "2026-04-01T09:00:00Z",
      sender: HOSPITAL,
      receiver: PRACTICE,
      patient: PATIENT,
      subject: { type: "referral", id: "ref-1" },
      status: "booked",
      occurredAt: "2026-04-01T09:00:00Z",
    });
    expect((await hub.send("hospital", booked.json, "application/fhir+json")).status).toBe(202);
    await hub.expectReferralStatus("practice-a", "ref-1", "booked");
    await expect(hub.expectReferralStatus("practice-a", "ref-1", "completed")).rejects.toThrow(/shows booked/);
    await expect(hub.expectReferralStatus("practice-a", "ref-2", "booked")).rejects.toThrow(/no referral \(404\)/);
  });
});

describe("replaying one recording into two fresh hubs", () => {
  it("gives identical read-model snapshots, equal to the original hub's", async () => {
    const file = join(dir, "traffic.jsonl");
    const { code } = await runCliCollected(["record", "--out", file], sharedHubEnv(original.namespace));
    expect(code).toBe(0);

    const first = await fresh();
    const second = await fresh();
    expect(await first.sendRecording(file)).toHaveLength(2);
    await second.sendRecording(file);
    const [a, b, before] = [
      await first.snapshotReadModel(),
      await second.snapshotReadModel(),
      await original.snapshotReadModel(),
    ];
    expect(a.map((entry) => [entry.ref.split("/")[0], entry.status])).toEqual([
      ["acute-team", "delivered"],
      ["lab", "rejected"],
    ]);
    expect(b).toEqual(a);
    expect(before).toEqual(a);
  });
});
