import { describe, expect, it } from "vitest";
import { entityUpdatesFor, subjectOf } from "./status-facts.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  HUB,
  MUNICIPALITY,
  referral,
  statusUpdate,
  taskRequisition,
  trackerRegistry,
} from "./tracker-fixtures.test-support.ts";

const registry = trackerRegistry();
const T = Date.parse("2026-03-02T09:00:00Z");

describe("entity updates from envelopes", () => {
  it("creates a referral as sent, remembering the originator and the receiver", () => {
    expect(entityUpdatesFor(referral("h1", "REF-1", T), HUB.id, registry)).toEqual([
      {
        subject: { type: "referral", originator: GP.id, id: "REF-1" },
        seenAt: T,
        creation: { endpoint: GP.id, party: { sor: GP.sor, gln: GP.gln }, counterparts: [HOSPITAL.id] },
        fact: { status: "sent", occurredAt: T, sources: ["h1"], knownBy: [GP.id, HOSPITAL.id], by: [GP.id] },
      },
    ]);
  });

  it("creates a task as requested", () => {
    const [update] = entityUpdatesFor(taskRequisition("h2", "TASK-1", T), HUB.id, registry);
    expect(update?.subject).toEqual({ type: "task", originator: GP.id, id: "TASK-1" });
    expect(update?.fact?.status).toBe("requested");
    expect(update?.creation?.counterparts).toEqual([MUNICIPALITY.id]);
  });

  it("adds a status update as a fact at its own occurredAt, known to its sender and receivers", () => {
    const envelope = statusUpdate("h3", HOSPITAL, GP, { type: "referral", id: "REF-1" }, "booked", T + 60_000);
    const subject = { type: "referral" as const, originator: GP.id, id: "REF-1" };
    expect(entityUpdatesFor(envelope, HUB.id, registry, { subject })).toEqual([
      {
        subject,
        seenAt: T + 61_000,
        fact: {
          status: "booked",
          occurredAt: T + 60_000,
          sources: ["h3"],
          knownBy: [GP.id, HOSPITAL.id],
          by: [HOSPITAL.id],
        },
      },
    ]);
  });

  it("moves the referral an appointment was booked for, and links the appointment to it", () => {
    const envelope = statusUpdate("h4", HOSPITAL, MUNICIPALITY, { type: "appointment", id: "APT-9" }, "no-show", T, {
      basedOn: { type: "referral", id: "REF-1" },
    });
    const appointment = { type: "appointment" as const, originator: GP.id, id: "APT-9" };
    const referralRef = { type: "referral" as const, originator: GP.id, id: "REF-1" };
    const updates = entityUpdatesFor(envelope, HUB.id, registry, {
      subject: appointment,
      basedOn: referralRef,
      basedOnParties: { originator: GP.id, counterparts: [HOSPITAL.id] },
    });
    expect(updates.map((u) => [u.subject, u.fact?.status, u.appointment, u.basedOn])).toEqual([
      [appointment, "no-show", undefined, referralRef],
      [referralRef, "no-show", "APT-9", undefined],
    ]);
    // The appointment takes the parties of the referral it was booked for.
    expect(updates[0]?.creation).toEqual({ endpoint: GP.id, counterparts: [HOSPITAL.id] });
  });

  it("does not cancel a referral because one appointment for it was cancelled", () => {
    const envelope = statusUpdate("h5", HOSPITAL, GP, { type: "appointment", id: "APT-9" }, "cancelled", T, {
      basedOn: { type: "referral", id: "REF-1" },
    });
    const [, referralUpdate] = entityUpdatesFor(envelope, HUB.id, registry, {
      subject: { type: "appointment", originator: GP.id, id: "APT-9" },
      basedOn: { type: "referral", originator: GP.id, id: "REF-1" },
    });
    expect(referralUpdate?.fact).toBeUndefined();
    expect(referralUpdate?.appointment).toBe("APT-9");
  });

  it("reads a status update the hub made itself as a record that the originator has the status", () => {
    const envelope = statusUpdate("h6", { ...HUB, id: HUB.id }, GP, { type: "referral", id: "REF-1" }, "completed", T);
    const subject = { type: "referral" as const, originator: GP.id, id: "REF-1" };
    expect(entityUpdatesFor(envelope, HUB.id, registry, { subject })).toEqual([
      { subject, seenAt: T + 1_000, returned: `completed@${T}` },
    ]);
  });

  it("finds no business status in a notification or a care communication", () => {
    const notification = envelopeOf("h7", HOSPITAL, GP, { kind: "notification", topic: "discharge" }, T);
    expect(entityUpdatesFor(notification, HUB.id, registry)).toEqual([]);
    expect(subjectOf(notification)).toBeUndefined();
  });
});
