import { randomUUID } from "node:crypto";
import { buildReferral, type MessagingOrganization, parseFhirMessage } from "@carehub/medcom-fhir";
import type { BusinessEntity, BusinessStatus, LifecycleEvent } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";
import { statusTraffic } from "./src/status-traffic.ts";

/**
 * Planned activities (issue 12, item 1): through the real gateway, intake, router, dispatcher and tracker, the
 * municipality that received a practice's referral plans it (agreed with the patient, expected window), then
 * books it. The practice is told each status and reads its referral as planned with the window, then booked
 * with the agreed window still readable. The practice itself may not plan what it does not perform.
 */

const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const MUNICIPALITY: MessagingOrganization = { sor: "953741000016009", gln: "5790001348120", name: "Herlev Kommune" };
const PATIENT = { identifier: { system: "cpr" as const, value: "2509479989" }, family: "Elmer", given: ["Bruno"] };
const ORG: Record<string, MessagingOrganization> = { practice: PRACTICE, municipality: MUNICIPALITY };
const WINDOW = { start: "2026-04-13T00:00:00.000Z", end: "2026-04-24T22:00:00.000Z" };
const BOOKED_AT = { start: "2026-04-15T08:30:00.000Z" };

const ENDPOINTS: HarnessEndpoint[] = [
  {
    id: "practice",
    name: "Lægerne i Byen",
    kind: "practice",
    identifiers: { sor: [PRACTICE.sor], gln: [PRACTICE.gln] },
    sends: ["referral", "status-update", "acknowledgement"],
    accepts: ["status-update", "acknowledgement"],
  },
  {
    id: "municipality",
    name: "Herlev Kommune",
    kind: "municipality",
    identifiers: { sor: [MUNICIPALITY.sor], gln: [MUNICIPALITY.gln] },
    sends: ["status-update", "acknowledgement"],
    accepts: ["referral", "status-update", "acknowledgement"],
  },
];

let h: Harness;
const {
  nextTime,
  send,
  sendStatus: sendAnyStatus,
} = statusTraffic({
  harness: () => h,
  organisations: ORG,
  patient: PATIENT,
});
const sendStatus = (
  from: string,
  to: string,
  referralId: string,
  status: BusinessStatus,
  time: { plannedWindow?: typeof WINDOW; appointment?: typeof BOOKED_AT } = {},
) => sendAnyStatus(from, to, { type: "referral", id: referralId }, status, time);

/** GET the practice's referral until `ready` accepts it. */
function readReferral(id: string, ready: (e: BusinessEntity) => boolean, what: string): Promise<BusinessEntity> {
  return h.waitFor(
    async () => {
      const response = await fetch(`${h.url}/v1/referrals/practice/${id}`, {
        headers: { authorization: `Bearer ${h.token("practice")}` },
      });
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as BusinessEntity;
      return ready(body) ? body : undefined;
    },
    what,
    20_000,
  );
}

/** The status-update content the practice received for message `messageId`. */
async function deliveredToPractice(messageId: string) {
  const deliveries = await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === messageId));
  const parsed = parseFhirMessage(deliveries.find((x) => x.messageId === messageId)?.body ?? Buffer.alloc(0));
  return parsed.ok ? parsed.message.content : undefined;
}

beforeAll(async () => {
  h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
});

afterAll(async () => {
  await h?.close();
});

describe("planned activities", () => {
  it("the municipality plans the practice's referral, then books it; the practice sees planned, then booked, with the window", async () => {
    const referralId = `REF-${randomUUID()}`;
    const referralMessage = randomUUID();
    const now = nextTime();
    const referral = buildReferral({
      ids: { bundleId: randomUUID(), messageHeaderId: referralMessage },
      now,
      sender: PRACTICE,
      receiver: MUNICIPALITY,
      patient: PATIENT,
      referral: {
        id: referralId,
        category: "hospital",
        priority: "routine",
        reasonCode: "DJ449",
        authoredOn: now.slice(0, 10),
      },
    });
    await send("practice", referral.json);
    await h.receiver("municipality").waitFor((d) => d.some((x) => x.messageId === referralMessage));
    await readReferral(referralId, (e) => e.status === "sent", "the referral in the read model");

    // Catches `planned` refused by the intake, the router or the fold: the practice would never see it.
    const planned = await sendStatus("municipality", "practice", referralId, "planned", { plannedWindow: WINDOW });
    expect(await deliveredToPractice(planned.messageId)).toMatchObject({ status: "planned", plannedWindow: WINDOW });
    const asPlanned = await readReferral(referralId, (e) => e.status === "planned", "the referral planned");
    expect(asPlanned.plannedWindow).toEqual(WINDOW);
    expect(asPlanned.appointment).toBeUndefined();

    const booked = await sendStatus("municipality", "practice", referralId, "booked", { appointment: BOOKED_AT });
    expect(await deliveredToPractice(booked.messageId)).toMatchObject({ status: "booked" });
    const asBooked = await readReferral(referralId, (e) => e.status === "booked", "the referral booked");
    expect(asBooked.history.map((e) => [e.status, e.outcome])).toEqual([
      ["sent", "applied"],
      ["planned", "applied"],
      ["booked", "applied"],
    ]);
    expect(asBooked.history[1]?.plannedWindow).toEqual(WINDOW);
    expect(asBooked.plannedWindow).toEqual(WINDOW);

    // Catches the originator allowed to plan: it asked for the activity, the municipality performs it.
    const byPractice = await sendStatus("practice", "municipality", referralId, "planned", { plannedWindow: WINDOW });
    await h.waitForEvents(
      (e: LifecycleEvent) =>
        e.type === "rejected" &&
        e.hubId === byPractice.hubId &&
        e.issues.some((i) => i.code === "CAREHUB_ERR_STATUS_NOT_A_PARTY"),
    );
  });
});
