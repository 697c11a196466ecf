import { describe, expect, it } from "vitest";
import { careLinksFor } from "./care-links.ts";
import { envelopeOf, GP, HOSPITAL, MUNICIPALITY, trackerRegistry } from "./tracker-fixtures.test-support.ts";

/* What a message adds to the care overview, before the store checks anything (care-links.ts). */
const registry = trackerRegistry();
const PATIENT = { system: "cpr" as const, value: "2509479989" };
const T = Date.parse("2026-04-01T08:00:00Z");

describe("careLinksFor", () => {
  it("a package referral files the referral under its patient and parties and opens a course", () => {
    const envelope = envelopeOf("h1", GP, HOSPITAL, { kind: "referral", referralId: "K", category: "package-kol" }, T, {
      patient: PATIENT,
    });
    expect(careLinksFor(envelope, registry)).toEqual({
      item: { type: "referral", originator: GP.id, id: "K" },
      seenAt: T,
      parties: [GP.id, HOSPITAL.id],
      patient: PATIENT.value,
      opensCourse: "package-kol",
    });
  });

  it("an ordinary referral opens no course (a course for every referral would group unrelated care)", () => {
    const envelope = envelopeOf("h2", GP, HOSPITAL, { kind: "referral", referralId: "R", category: "hospital" }, T);
    expect(careLinksFor(envelope, registry)).not.toHaveProperty("opensCourse");
  });

  it("a task naming a package referral asks to join it, as its sender", () => {
    const content = { kind: "task-requisition" as const, taskId: "T", code: "rehab", packageReferralId: "K" };
    const links = careLinksFor(envelopeOf("h3", HOSPITAL, MUNICIPALITY, content, T, { patient: PATIENT }), registry);
    expect(links?.joinsCourse).toEqual({ packageReferralId: "K", sender: HOSPITAL.id });
  });

  it("a forward makes its receivers parties and files nothing under a patient (the forwarder does not decide that)", () => {
    const envelope = envelopeOf(
      "h4",
      HOSPITAL,
      MUNICIPALITY,
      { kind: "referral", referralId: "K", category: "package-kol" },
      T,
      {
        patient: PATIENT,
      },
    );
    const forwardOf = { type: "referral" as const, originator: GP.id, id: "K" };
    expect(careLinksFor(envelope, registry, { subject: forwardOf, forwardOf })).toEqual({
      item: forwardOf,
      seenAt: T,
      parties: [MUNICIPALITY.id],
    });
  });

  it("statuses file nothing", () => {
    const status = {
      kind: "status-update" as const,
      subject: { type: "referral" as const, id: "K" },
      status: "received" as const,
      occurredAt: new Date(T).toISOString(),
    };
    expect(careLinksFor(envelopeOf("h5", HOSPITAL, GP, status, T), registry)).toBeUndefined();
  });
});
