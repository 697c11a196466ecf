import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  buildAcknowledgement,
  buildReferral,
  buildStatusUpdate,
  buildTaskRequisition,
  type MessagingOrganization,
  parseFhirMessage,
} from "@carehub/medcom-fhir";
import type { BusinessEntity, BusinessStatus, LifecycleEvent, MessageLifecycle } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Delivery, type Harness, type HarnessEndpoint, HUB_IDENTITY, startHarness } from "./src/harness.ts";

/**
 * Business status tracking through the whole hub: a practice sends a referral to a hospital, the hospital
 * books, reschedules and completes it by sending status updates to the practice; the practice receives
 * each one as a message and GET /v1/referrals/:id shows the whole history. The same for a municipal task
 * requisition (accepted → in progress → completed), a cancellation and a no-show; and a status the practice
 * was not sent (the hospital tells only the municipality, or confirms the booking to the municipality with an
 * OIOXML XDIS13) comes back to it from the hub — a FHIR status update from the hub's identity on the hub's own
 * INGRESS subject, which intake accepts, the router routes and the dispatcher delivers like any message; it is
 * tracked (GET /v1/messages/:id) and the practice's acknowledgement of it, addressed to the hub, is matched.
 */

const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const HOSPITAL: MessagingOrganization = { sor: "265161000016000", gln: "5790000209354", name: "Herlev Hospital" };
const MUNICIPALITY: MessagingOrganization = { sor: "953741000016009", gln: "5790001348120", name: "Herlev Kommune" };
const PATIENT = { identifier: { system: "cpr" as const, value: "2509479989" }, family: "Elmer", given: ["Bruno"] };
const ACK = "acknowledgement" as const;
const XDIS13 = readFileSync(medcomExamplesDir("oioxml", "XDIS13_1.xml"), "latin1");

const ENDPOINTS: HarnessEndpoint[] = [
  {
    id: "practice",
    name: "Lægerne i Byen",
    kind: "practice",
    identifiers: { sor: [PRACTICE.sor], gln: [PRACTICE.gln] },
    sends: ["referral", "task-requisition", ACK],
    accepts: ["status-update", ACK],
  },
  {
    id: "hospital",
    name: "Herlev Hospital",
    kind: "hospital",
    identifiers: { sor: [HOSPITAL.sor], gln: [HOSPITAL.gln] },
    sends: ["status-update", ACK],
    accepts: ["referral", ACK],
  },
  {
    id: "municipality",
    name: "Herlev Kommune",
    kind: "municipality",
    identifiers: { sor: [MUNICIPALITY.sor], gln: [MUNICIPALITY.gln] },
    sends: ["status-update", ACK],
    accepts: ["task-requisition", "status-update", ACK],
  },
];

let h: Harness;
let clock = Date.parse("2026-03-02T08:00:00Z");

function ids() {
  return { bundleId: randomUUID(), messageHeaderId: randomUUID() };
}

function nextTime(): string {
  clock += 3_600_000;
  return new Date(clock).toISOString();
}

async function send(from: string, json: string): Promise<string> {
  const response = await h.send(from, json, "application/fhir+json");
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function sendReferral(id: string): Promise<string> {
  const now = nextTime();
  const built = buildReferral({
    ids: ids(),
    now,
    sender: PRACTICE,
    receiver: HOSPITAL,
    patient: PATIENT,
    referral: { id, category: "hospital", priority: "routine", reasonCode: "DJ449", authoredOn: now.slice(0, 10) },
  });
  return send("practice", built.json);
}

async function sendStatus(
  from: "hospital" | "municipality",
  to: MessagingOrganization,
  subject: { type: "referral" | "task"; id: string },
  status: BusinessStatus,
): Promise<{ hubId: string; messageId: string }> {
  const messageIds = ids();
  const now = nextTime();
  const built = buildStatusUpdate({
    ids: messageIds,
    now,
    sender: from === "hospital" ? HOSPITAL : MUNICIPALITY,
    receiver: to,
    patient: PATIENT,
    subject,
    status,
    occurredAt: now,
    ...(status === "booked" || status === "rescheduled" ? { appointment: { start: nextTime() } } : {}),
  });
  return { hubId: await send(from, built.json), messageId: messageIds.messageHeaderId };
}

/** GET an API path as an endpoint; waits until `ready` accepts the body. */
async function getAs<T>(endpoint: string, path: string, ready: (body: T) => boolean, what: string): Promise<T> {
  return h.waitFor(
    async () => {
      const response = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token(endpoint)}` } });
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as T;
      return ready(body) ? body : undefined;
    },
    what,
    20_000,
  );
}

/** The MedCom example XDIS13, from the hospital to `receiverGln`, confirming `referralId`; fresh ids. */
function bookingConfirmation(referralId: string, receiverGln: string): { bytes: Buffer; letterId: string } {
  const letterId = `B${randomBytes(6).toString("hex")}`;
  const xml = XDIS13.replace("KuvertNr012234", `K${randomBytes(6).toString("hex")}`)
    .replace("BrevNr00129", letterId)
    .replace("<EANIdentifier>5790000120420</EANIdentifier>", `<EANIdentifier>${HOSPITAL.gln}</EANIdentifier>`)
    .replace("<EANIdentifier>5790000128686</EANIdentifier>", `<EANIdentifier>${receiverGln}</EANIdentifier>`)
    .replace("<Identifier>Ukendt.</Identifier>", `<Identifier>${referralId}</Identifier>`);
  return { bytes: Buffer.from(xml, "latin1"), letterId };
}

const statuses = (entity: BusinessEntity) => entity.history.map((entry) => [entry.status, entry.outcome]);

beforeAll(async () => {
  h = await startHarness({ endpoints: ENDPOINTS, rules: [] });
});

afterAll(async () => {
  await h?.close();
});

describe("business status tracking", () => {
  it("follows a referral booked, rescheduled and completed, each status reaching the practice as a message", async () => {
    const referralId = `REF-${randomUUID()}`;
    await sendReferral(referralId);
    await h.receiver("hospital").waitFor((d) => d.some((x) => x.kind === "referral"));
    const updates: Array<{ hubId: string; messageId: string }> = [];
    for (const status of ["booked", "rescheduled", "completed"] as const) {
      updates.push(await sendStatus("hospital", PRACTICE, { type: "referral", id: referralId }, status));
    }
    await h
      .receiver("practice")
      .waitFor((deliveries) => updates.every((u) => deliveries.some((d) => d.messageId === u.messageId)));
    const entity = await getAs<BusinessEntity>(
      "practice",
      `/v1/referrals/${referralId}`,
      (e) => e.status === "completed",
      "the referral to be completed",
    );
    expect(entity).toMatchObject({ originator: "practice", counterparts: ["hospital"], status: "completed" });
    expect(statuses(entity)).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
      ["rescheduled", "applied"],
      ["completed", "applied"],
    ]);
    expect(entity.history.map((e) => e.sources).slice(1)).toEqual(updates.map((u) => [u.hubId]));
    // The hospital also sees it; another endpoint does not.
    expect(
      (
        await fetch(`${h.url}/v1/referrals/${referralId}`, {
          headers: { authorization: `Bearer ${h.token("municipality")}` },
        })
      ).status,
    ).toBe(404);
  });

  it("follows a municipal task requisition: accepted, in progress, completed", async () => {
    const taskId = `TASK-${randomUUID()}`;
    await send(
      "practice",
      buildTaskRequisition({
        ids: ids(),
        now: nextTime(),
        sender: PRACTICE,
        receiver: MUNICIPALITY,
        patient: PATIENT,
        task: { id: taskId, code: "wound-care", description: "Sårpleje", dueDate: "2026-03-09" },
      }).json,
    );
    await h.receiver("municipality").waitFor((d) => d.some((x) => x.kind === "task-requisition"));
    const updates: Array<{ hubId: string; messageId: string }> = [];
    for (const status of ["accepted", "in-progress", "completed"] as const) {
      updates.push(await sendStatus("municipality", PRACTICE, { type: "task", id: taskId }, status));
    }
    await h
      .receiver("practice")
      .waitFor((deliveries) => updates.every((u) => deliveries.some((d) => d.messageId === u.messageId)));
    const entity = await getAs<BusinessEntity>(
      "practice",
      `/v1/tasks/${taskId}`,
      (e) => e.status === "completed",
      "the task",
    );
    expect(statuses(entity)).toEqual([
      ["requested", "applied"],
      ["accepted", "applied"],
      ["in-progress", "applied"],
      ["completed", "applied"],
    ]);
  });

  it.each<["cancelled" | "no-show"]>([["cancelled"], ["no-show"]])("ends a booked referral as %s", async (end) => {
    const referralId = `REF-${randomUUID()}`;
    await sendReferral(referralId);
    const booked = await sendStatus("hospital", PRACTICE, { type: "referral", id: referralId }, "booked");
    const last = await sendStatus("hospital", PRACTICE, { type: "referral", id: referralId }, end);
    await h
      .receiver("practice")
      .waitFor((d) => [booked, last].every((u) => d.some((x) => x.messageId === u.messageId)));
    const entity = await getAs<BusinessEntity>("practice", `/v1/referrals/${referralId}`, (e) => e.status === end, end);
    expect(statuses(entity)).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
      [end, "applied"],
    ]);
  });

  it("refuses completed → booked and shows the refusal in the history", async () => {
    const referralId = `REF-${randomUUID()}`;
    await sendReferral(referralId);
    for (const status of ["booked", "completed", "booked"] as const) {
      await sendStatus("hospital", PRACTICE, { type: "referral", id: referralId }, status);
    }
    const entity = await getAs<BusinessEntity>(
      "practice",
      `/v1/referrals/${referralId}`,
      (e) => e.history.length === 4,
      "four facts",
    );
    expect(entity.status).toBe("completed");
    expect(entity.history[3]).toMatchObject({ status: "booked", outcome: "refused" });
    await h.waitForEvents(
      (e: LifecycleEvent) => e.type === "transition-refused" && e.subject.id === referralId && e.to === "booked",
    );
  });

  // The hub's status update is delivered to the practice like any message (intake trusts the hub's own INGRESS
  // subject); test/tracking-status-return.e2e.test.ts follows it on to tracking and the practice's acknowledgement.
  it("returns to the practice a status it was not sent, announced on NATS and sent by the hub as a status update", async () => {
    const referralId = `REF-${randomUUID()}`;
    const announced: unknown[] = [];
    const subscription = h.hub.bus.nc.subscribe(h.hub.bus.topology.subjects.status("practice"), {
      callback: (_error, msg) => {
        announced.push(msg.json());
      },
    });
    try {
      await sendReferral(referralId);
      await sendStatus("hospital", PRACTICE, { type: "referral", id: referralId }, "booked");
      // Completed is told to the municipality only.
      await sendStatus("hospital", MUNICIPALITY, { type: "referral", id: referralId }, "completed");
      await getAs<BusinessEntity>(
        "practice",
        `/v1/referrals/${referralId}`,
        (e) => e.status === "completed",
        "completed",
      );
      await h.waitFor(
        async () =>
          announced.some((a) => (a as { subject: { id: string } }).subject.id === referralId) ? true : undefined,
        "the announcement on <ns>.status.practice",
      );
      const fromHub = await h.waitFor(async () => {
        const messages = await h.streamMessages("ingress");
        const found = messages.filter((m) => m.subject === h.hub.bus.topology.subjects.ingress(HUB_IDENTITY.id));
        return found.length > 0 ? found : undefined;
      }, "the hub's status update on INGRESS");
      const parsed = fromHub
        .map((m) => parseFhirMessage(m.data))
        .find((r) => r.ok && r.message.content.kind === "status-update" && r.message.content.subject.id === referralId);
      expect(parsed?.ok && parsed.message.content).toMatchObject({
        status: "completed",
        subject: { type: "referral", id: referralId },
      });
      expect(parsed?.ok && parsed.message.receivers[0]).toMatchObject({ sor: PRACTICE.sor, gln: PRACTICE.gln });
      const returnedId = parsed?.ok ? parsed.message.messageId : "";
      const delivered = await h.receiver("practice").waitFor((d) => d.some((x) => x.messageId === returnedId));
      expect(delivered.find((x) => x.messageId === returnedId)?.headers["carehub-source-endpoint"]).toBe(
        HUB_IDENTITY.id,
      );
    } finally {
      subscription.unsubscribe();
    }
  });

  it("delivers the hub's status update for an XDIS13 booking sent elsewhere, tracks it, and matches the practice's ack", async () => {
    const referralId = `REF-${randomBytes(4).toString("hex")}`;
    const now = new Date().toISOString();
    const referral = buildReferral({
      ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
      now,
      sender: PRACTICE,
      receiver: HOSPITAL,
      patient: PATIENT,
      referral: {
        id: referralId,
        category: "hospital",
        priority: "routine",
        reasonCode: "DJ449",
        authoredOn: now.slice(0, 10),
      },
    });
    expect((await h.send("practice", referral.json, "application/fhir+json")).status).toBe(202);
    await h.receiver("hospital").waitFor((d) => d.some((x) => x.kind === "referral"));

    // The hospital tells the municipality, not the practice.
    const booking = bookingConfirmation(referralId, MUNICIPALITY.gln ?? "");
    expect((await h.send("hospital", booking.bytes, "application/xml")).status).toBe(202);
    await h.receiver("municipality").waitFor((d) => d.some((x) => x.messageId === booking.letterId));

    // The hub's status update about this referral (other tests in this file get returns of their own).
    const isReturn = (d: Delivery) =>
      d.kind === "status-update" &&
      d.headers["carehub-source-endpoint"] === HUB_IDENTITY.id &&
      d.body.toString("utf8").includes(referralId);
    await h.receiver("practice").waitFor((deliveries) => deliveries.some(isReturn));
    const returned = h.receiver("practice").deliveries.filter(isReturn);
    expect(returned).toHaveLength(1);
    const delivery = returned[0] as Delivery;
    const parsed = parseFhirMessage(delivery.body);
    if (!parsed.ok) throw new Error(`the hub's status update does not parse: ${JSON.stringify(parsed.issues)}`);
    expect(parsed.message.content).toMatchObject({ status: "booked", subject: { type: "referral", id: referralId } });
    expect(parsed.message.sender).toMatchObject({ sor: HUB_IDENTITY.sor, gln: HUB_IDENTITY.gln });
    expect(parsed.message.receivers[0]).toMatchObject({ sor: PRACTICE.sor, gln: PRACTICE.gln });
    const hubId = delivery.hubId ?? "";

    // Tracked like any message: the practice can follow it.
    const delivered = await getAs<MessageLifecycle>(
      "practice",
      `/v1/messages/${hubId}`,
      (m) => m.status === "delivered",
      "the status update delivered",
    );
    expect(delivered).toMatchObject({ sender: HUB_IDENTITY.id, kind: "status-update", receivers: ["practice"] });

    // The practice acknowledges it the MedCom way, to its sender: the hub.
    const ack = buildAcknowledgement({
      original: {
        messageId: parsed.message.messageId,
        sender: parsed.message.sender,
        receivers: parsed.message.receivers,
      },
      acknowledger: PRACTICE,
      code: "ok",
      ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
      now: new Date().toISOString(),
    });
    expect((await h.send("practice", ack.json, "application/fhir+json")).status).toBe(202);
    await h.waitForEvents(
      (e: LifecycleEvent) =>
        e.type === "acknowledged" && e.hubId === hubId && e.endpoint === "practice" && e.code === "ok",
    );
    const acknowledged = await getAs<MessageLifecycle>(
      "practice",
      `/v1/messages/${hubId}`,
      (m) => m.status === "acknowledged",
      "the status update acknowledged",
    );
    expect(acknowledged.sender).toBe(HUB_IDENTITY.id);

    const entity = await getAs<BusinessEntity>(
      "practice",
      `/v1/referrals/${referralId}`,
      (e) => e.status === "booked",
      "booked",
    );
    expect(entity.history.map((e) => [e.status, e.outcome])).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
    ]);
    // Nothing of it was dead-lettered or rejected on the way.
    const trouble = (await h.events()).filter(
      (e) => (e.type === "dead-lettered" || e.type === "rejected") && e.sourceEndpoint === HUB_IDENTITY.id,
    );
    expect(trouble).toEqual([]);
  });
});
