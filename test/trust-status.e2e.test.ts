import { randomUUID } from "node:crypto";
import { buildReferral, type MessagingOrganization, parseFhirMessage } from "@carehub/medcom-fhir";
import type { BusinessEntity, LifecycleEvent } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Delivery, type Harness, type HarnessEndpoint, HUB_IDENTITY, startHarness } from "./src/harness.ts";
import { statusTraffic } from "./src/status-traffic.ts";

/**
 * Who may state a business status (issue 9): through the real gateway, intake, router, dispatcher and tracker,
 * practice B — with no part in practice A's referral — states `cancelled` about it and is refused with
 * CAREHUB_ERR_STATUS_NOT_A_PARTY (a negative acknowledgement to B, a `rejected` event, the tracker's
 * `transition-refused`), the referral is unchanged, A is told nothing and B cannot read it. The legitimate
 * paths still work: the hospital books and completes, the originator withdraws its own referral. A and B both
 * use `ref-0001` with different receivers: nothing crosses over. A status about a referral the hub never saw
 * is kept, flagged and listed; appointments are readable and a cancelled one is no longer the booked time.
 */

const A: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const B: MessagingOrganization = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis" };
const HOSPITAL: MessagingOrganization = { sor: "265161000016000", gln: "5790000209354", name: "Herlev Hospital" };
const MUNICIPALITY: MessagingOrganization = { sor: "953741000016009", gln: "5790001348120", name: "Herlev Kommune" };
const PATIENT = { identifier: { system: "cpr" as const, value: "2509479989" }, family: "Elmer", given: ["Bruno"] };
const NOT_A_PARTY = "CAREHUB_ERR_STATUS_NOT_A_PARTY";

const practice = (id: string, org: MessagingOrganization): HarnessEndpoint => ({
  id,
  name: org.name ?? id,
  kind: "practice",
  identifiers: { sor: [org.sor], gln: [org.gln] },
  sends: ["referral", "status-update", "acknowledgement"],
  accepts: ["status-update", "acknowledgement"],
});
const ENDPOINTS: HarnessEndpoint[] = [
  practice("practice-a", A),
  practice("practice-b", B),
  {
    id: "hospital",
    name: "Herlev Hospital",
    kind: "hospital",
    identifiers: { sor: [HOSPITAL.sor], gln: [HOSPITAL.gln] },
    sends: ["referral", "status-update", "acknowledgement"],
    accepts: ["referral", "status-update", "acknowledgement"],
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
const ORG: Record<string, MessagingOrganization> = {
  "practice-a": A,
  "practice-b": B,
  hospital: HOSPITAL,
  municipality: MUNICIPALITY,
};

let h: Harness;
const { nextTime, send, sendStatus } = statusTraffic({ harness: () => h, organisations: ORG, patient: PATIENT });

async function sendReferral(from: string, to: string, id: string): Promise<string> {
  const now = nextTime();
  const messageHeaderId = randomUUID();
  const built = buildReferral({
    ids: { bundleId: randomUUID(), messageHeaderId },
    now,
    sender: ORG[from] as MessagingOrganization,
    receiver: ORG[to] as MessagingOrganization,
    patient: PATIENT,
    referral: { id, category: "hospital", priority: "routine", reasonCode: "DJ449", authoredOn: now.slice(0, 10) },
  });
  await send(from, built.json);
  await h.receiver(to).waitFor((d) => d.some((x) => x.messageId === messageHeaderId));
  // In the read model too: what follows is judged against the referral's parties.
  await read<BusinessEntity>(from, `/v1/referrals/${from}/${id}`, () => true, "the referral in the read model");
  return messageHeaderId;
}

async function get(as: string, path: string): Promise<Response> {
  return fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token(as)}` } });
}

/** GET as an endpoint until `ready` accepts the body. */
async function read<T>(as: string, path: string, ready: (body: T) => boolean, what: string): Promise<T> {
  return h.waitFor(
    async () => {
      const response = await get(as, path);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as T;
      return ready(body) ? body : undefined;
    },
    what,
    20_000,
  );
}

/** A status update the hub made itself about `referralId`, delivered to `endpoint`. */
function hubReturns(endpoint: string, referralId: string): Delivery[] {
  return h
    .receiver(endpoint)
    .deliveries.filter(
      (d) =>
        d.kind === "status-update" &&
        d.headers["carehub-source-endpoint"] === HUB_IDENTITY.id &&
        d.body.toString("utf8").includes(referralId),
    );
}

const refusedFor = (hubId: string) => (e: LifecycleEvent) =>
  e.type === "transition-refused" && e.hubId === hubId && e.code === NOT_A_PARTY;
const rejectedFor = (hubId: string) => (e: LifecycleEvent) =>
  e.type === "rejected" && e.hubId === hubId && e.issues.some((i) => i.code === NOT_A_PARTY);

beforeAll(async () => {
  h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
});

afterAll(async () => {
  await h?.close();
});

describe("who may state a business status", () => {
  it("refuses a stranger's cancellation of another practice's referral: nack, no change, nobody told, no access", async () => {
    const referralId = `REF-${randomUUID()}`;
    await sendReferral("practice-a", "hospital", referralId);
    const subject = { type: "referral" as const, id: referralId };
    const toA = await sendStatus("practice-b", "practice-a", subject, "cancelled");
    const toHospital = await sendStatus("practice-b", "hospital", subject, "cancelled");

    for (const attempt of [toA, toHospital]) {
      // The router refuses it before delivery, and the tracker's fold refuses it whatever the router saw.
      await h.waitForEvents(rejectedFor(attempt.hubId));
      await h.waitForEvents(refusedFor(attempt.hubId));
      // B hears why: a negative acknowledgement of its own message.
      const nack = await h
        .receiver("practice-b")
        .waitFor((d) =>
          d.some((x) => x.kind === "acknowledgement" && x.body.toString("utf8").includes(attempt.messageId)),
        );
      const answer = nack.find((x) => x.body.toString("utf8").includes(attempt.messageId)) as Delivery;
      const parsed = parseFhirMessage(answer.body);
      expect(parsed.ok && parsed.message.content).toMatchObject({ kind: "acknowledgement", code: "fatal-error" });
    }
    // A legitimate status afterwards (told to the municipality only, so the hub returns it to A): once A has
    // that, any return of the refused cancellation would have reached A before it.
    await sendStatus("hospital", "municipality", subject, "booked");
    await h.receiver("practice-a").waitFor(() => hubReturns("practice-a", referralId).length > 0);
    const returned = hubReturns("practice-a", referralId).map((d) => parseFhirMessage(d.body));
    expect(returned.map((r) => r.ok && r.message.content.kind === "status-update" && r.message.content.status)).toEqual(
      ["booked"],
    );
    expect(h.receiver("practice-a").deliveries.filter((d) => d.messageId === toA.messageId)).toEqual([]);
    expect(h.receiver("hospital").deliveries.filter((d) => d.messageId === toHospital.messageId)).toEqual([]);

    const referral = await read<BusinessEntity>(
      "practice-a",
      `/v1/referrals/practice-a/${referralId}`,
      (e) => e.status === "booked",
      "A's referral booked",
    );
    expect(referral.history.map((e) => [e.status, e.outcome, e.code])).toEqual([
      ["sent", "applied", undefined],
      ["cancelled", "refused", NOT_A_PARTY],
      ["cancelled", "refused", NOT_A_PARTY],
      ["booked", "applied", undefined],
    ]);
    expect(referral).toMatchObject({ originator: "practice-a", counterparts: ["hospital"] });
    // No read access gained.
    expect((await get("practice-b", `/v1/referrals/practice-a/${referralId}`)).status).toBe(404);
    expect((await get("practice-b", `/v1/referrals/${referralId}`)).status).toBe(404);
  });

  it("lets the counterpart book and complete, and the originator withdraw its own referral", async () => {
    const booked = `REF-${randomUUID()}`;
    await sendReferral("practice-a", "hospital", booked);
    for (const status of ["booked", "completed"] as const) {
      await sendStatus("hospital", "practice-a", { type: "referral", id: booked }, status);
    }
    const completed = await read<BusinessEntity>(
      "practice-a",
      `/v1/referrals/practice-a/${booked}`,
      (e) => e.status === "completed",
      "completed",
    );
    expect(completed.history.every((e) => e.outcome === "applied")).toBe(true);

    const withdrawn = `REF-${randomUUID()}`;
    await sendReferral("practice-a", "hospital", withdrawn);
    const cancel = await sendStatus("practice-a", "hospital", { type: "referral", id: withdrawn }, "cancelled");
    await h.receiver("hospital").waitFor((d) => d.some((x) => x.messageId === cancel.messageId));
    const cancelled = await read<BusinessEntity>(
      "hospital",
      `/v1/referrals/practice-a/${withdrawn}`,
      (e) => e.status === "cancelled",
      "withdrawn",
    );
    expect(cancelled.history.map((e) => [e.status, e.outcome])).toEqual([
      ["sent", "applied"],
      ["cancelled", "applied"],
    ]);
    expect((await h.events()).filter((e) => e.type === "rejected" && e.hubId === cancel.hubId)).toEqual([]);
  });

  it("lets the endpoint a counterpart forwarded the referral to state its status, and read it", async () => {
    const referralId = `REF-${randomUUID()}`;
    const original = await sendReferral("practice-a", "hospital", referralId);
    // The hospital passes the referral on to the municipality (a forward: links.forwards names the original).
    const forwardId = randomUUID();
    const now = nextTime();
    const forward = buildReferral({
      ids: { bundleId: randomUUID(), messageHeaderId: forwardId },
      now,
      sender: HOSPITAL,
      receiver: MUNICIPALITY,
      patient: PATIENT,
      link: { type: "forward", to: { messageId: original } },
      referral: { id: referralId, category: "municipal", priority: "routine", authoredOn: now.slice(0, 10) },
    });
    await send("hospital", forward.json);
    await h.receiver("municipality").waitFor((d) => d.some((x) => x.messageId === forwardId));
    const forwarded = await read<BusinessEntity>(
      "municipality",
      `/v1/referrals/practice-a/${referralId}`,
      (e) => e.counterparts.includes("municipality"),
      "the municipality a party of A's referral",
    );
    expect(forwarded.counterparts).toEqual(["hospital", "municipality"]);
    await sendStatus("municipality", "practice-a", { type: "referral", id: referralId }, "booked");
    const booked = await read<BusinessEntity>(
      "practice-a",
      `/v1/referrals/practice-a/${referralId}`,
      (e) => e.status === "booked",
      "booked by the municipality",
    );
    expect(booked.history.map((e) => [e.status, e.outcome])).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
    ]);
    // Nothing new was created under the hospital's name.
    expect((await get("operator", `/v1/referrals/hospital/${referralId}`)).status).toBe(404);
  });

  it("keeps two practices' ref-0001 apart: each reads its own, the municipality only B's, booking B's tells only B", async () => {
    await sendReferral("practice-a", "hospital", "ref-0001");
    await sendReferral("practice-b", "municipality", "ref-0001");
    const aSees = await read<BusinessEntity>("practice-a", "/v1/referrals/ref-0001", () => true, "A's ref-0001");
    expect(aSees).toMatchObject({ originator: "practice-a", counterparts: ["hospital"] });
    const bSees = await read<BusinessEntity>("practice-b", "/v1/referrals/ref-0001", () => true, "B's ref-0001");
    expect(bSees).toMatchObject({ originator: "practice-b", counterparts: ["municipality"] });
    const municipalitySees = await read<BusinessEntity>("municipality", "/v1/referrals/ref-0001", () => true, "B's");
    expect(municipalitySees.originator).toBe("practice-b");
    expect((await get("municipality", "/v1/referrals/practice-a/ref-0001")).status).toBe(404);
    const ambiguous = await get("operator", "/v1/referrals/ref-0001");
    expect(ambiguous.status).toBe(409);
    expect(((await ambiguous.json()) as { code: string }).code).toBe("CAREHUB_ERR_QUERY_AMBIGUOUS");

    // The municipality books B's referral, telling the hospital: the hub returns it to B, and only to B.
    await sendStatus("municipality", "hospital", { type: "referral", id: "ref-0001" }, "booked");
    await h.receiver("practice-b").waitFor(() => hubReturns("practice-b", "ref-0001").length > 0);
    const bBooked = await read<BusinessEntity>(
      "practice-b",
      "/v1/referrals/practice-b/ref-0001",
      (e) => e.status === "booked",
      "B's ref-0001 booked",
    );
    expect(bBooked.counterparts).toEqual(["municipality"]);
    const aAfter = await read<BusinessEntity>("practice-a", "/v1/referrals/practice-a/ref-0001", () => true, "A's");
    expect(aAfter.status).toBe("sent");
    expect(hubReturns("practice-a", "ref-0001")).toEqual([]);
  });

  it("keeps a status about a referral the hub never saw, flags it and lists it to whom it concerns", async () => {
    const orphanId = `REF-${randomUUID()}`;
    const sent = await sendStatus("hospital", "practice-a", { type: "referral", id: orphanId }, "booked");
    await h.waitForEvents((e) => e.type === "unmatched-status" && e.hubId === sent.hubId);
    const listed = await read<{ items: BusinessEntity[] }>(
      "operator",
      "/v1/unmatched?type=referral",
      (page) => page.items.some((e) => e.id === orphanId),
      "the unmatched list",
    );
    expect(listed.items.find((e) => e.id === orphanId)).toMatchObject({
      unmatched: true,
      status: "booked",
      originator: "practice-a",
    });
    // Readable by the endpoint that reported it and the one it was sent to; nobody else.
    for (const reader of ["hospital", "practice-a"]) {
      expect((await get(reader, `/v1/referrals/practice-a/${orphanId}`)).status).toBe(200);
    }
    expect((await get("practice-b", `/v1/referrals/practice-a/${orphanId}`)).status).toBe(404);
    const bList = (await (await get("practice-b", "/v1/unmatched")).json()) as { items: BusinessEntity[] };
    expect(bList.items.some((e) => e.id === orphanId)).toBe(false);
  });

  it("shows an appointment and its referral's booked time, and drops the time once the appointment is cancelled", async () => {
    const referralId = `REF-${randomUUID()}`;
    const appointmentId = `APT-${randomUUID()}`;
    await sendReferral("practice-a", "hospital", referralId);
    const start = "2026-05-04T10:00:00+02:00";
    const basedOn = { type: "referral" as const, id: referralId };
    const appointment = { type: "appointment" as const, id: appointmentId };
    await sendStatus("hospital", "practice-a", appointment, "booked", { basedOn, appointment: { start } });
    const booked = await read<BusinessEntity>(
      "practice-a",
      `/v1/appointments/practice-a/${appointmentId}`,
      (e) => e.status === "booked",
      "the appointment booked",
    );
    expect(booked).toMatchObject({ appointment: { start }, basedOn: { type: "referral", id: referralId } });
    const referral = await read<BusinessEntity>(
      "practice-a",
      `/v1/referrals/practice-a/${referralId}`,
      (e) => e.status === "booked",
      "the referral booked",
    );
    expect(referral.appointment).toEqual({ start });
    expect(referral.appointmentStates).toEqual([{ id: appointmentId, status: "booked", appointment: { start } }]);

    await sendStatus("hospital", "practice-a", appointment, "cancelled", { basedOn });
    const after = await read<BusinessEntity>(
      "practice-a",
      `/v1/referrals/practice-a/${referralId}`,
      (e) => e.appointmentStates?.[0]?.status === "cancelled",
      "the appointment cancelled under its referral",
    );
    expect(after.appointment).toBeUndefined();
    expect((await get("practice-b", `/v1/appointments/practice-a/${appointmentId}`)).status).toBe(404);
  });
});
