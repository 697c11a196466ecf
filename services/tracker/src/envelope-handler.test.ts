import { describe, expect, it } from "vitest";
import { businessOrderKeys, recordOnlyChange } from "./envelope-handler.ts";
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

const deps = { hubEndpointId: HUB.id, resolver: trackerRegistry() };
const T = Date.parse("2026-03-02T09:00:00Z");
const lab = { kind: "lab-result" as const, letterType: "XRPT01", consentGiven: null, corrected: false, results: [] };

// Which envelopes the tracker folds in the batch of lifecycle events (their record only) and which go through
// foldEnvelope one at a time, in PIPELINE's order.
describe("recordOnlyChange", () => {
  // Catches: a message without business status sent down the one-at-a-time path (the cost batching removes).
  it("folds a lab result with the events in hand, its record only", () => {
    const envelope = envelopeOf("h-lab", HOSPITAL, GP, lab, T);
    expect(recordOnlyChange(envelope, deps)).toEqual({ envelope });
  });

  // Catches: an envelope that updates a referral, task or appointment, or files one in the care overview,
  // folded as a record only (its business facts and effects lost), or taken out of PIPELINE's order.
  it("leaves referrals, tasks, status updates and forwards to foldEnvelope", () => {
    const forward = envelopeOf(
      "h-fwd",
      HOSPITAL,
      GP,
      { kind: "referral", referralId: "REF-1", category: "hospital" },
      T,
      {
        links: { forwards: { messageId: "m-h-ref" } },
      },
    );
    for (const envelope of [
      referral("h-ref", "REF-1", T),
      taskRequisition("h-task", "TASK-1", T),
      statusUpdate("h-st", HOSPITAL, GP, { type: "referral", id: "REF-1" }, "booked", T),
      forward,
    ]) {
      expect(recordOnlyChange(envelope, deps), envelope.hubId).toBeUndefined();
    }
  });
});

describe("businessOrderKeys", () => {
  const shares = (a: string[], b: string[]) => a.some((key) => b.includes(key));

  // Catches: a referral's status updates (or an appointment booked for it, which reads its parties) queued apart
  // from the referral, so folded side by side with it; or every referral in one queue.
  it("queues a referral, its status updates and its appointments' together, another referral apart", () => {
    const about = { type: "referral" as const, id: "REF-1" };
    const appointment = statusUpdate("h-apt", HOSPITAL, GP, { type: "appointment", id: "APT-9" }, "booked", T, {
      basedOn: about,
      appointment: { start: "2026-03-09T10:00:00Z" },
    });
    const [ref, status, apt] = [
      referral("h-ref", "REF-1", T),
      statusUpdate("h-st", HOSPITAL, GP, about, "booked", T),
      appointment,
    ].map(businessOrderKeys);
    expect(shares(ref ?? [], status ?? [])).toBe(true);
    expect(shares(ref ?? [], apt ?? [])).toBe(true);
    expect(shares(ref ?? [], businessOrderKeys(referral("h-ref2", "REF-2", T)))).toBe(false);
    expect(shares(ref ?? [], businessOrderKeys(taskRequisition("h-task", "REF-1", T)))).toBe(false);
  });

  // Catches (review of 0113, item 2): an appointment's update with `basedOn` keyed by the referral only and a later
  // one without it by the appointment only — the two overtake each other (unmatched status, refused transition).
  it("queues an appointment's updates together, with or without basedOn", () => {
    const apt = { type: "appointment" as const, id: "APT-9" };
    const withBasis = statusUpdate("h-apt1", HOSPITAL, GP, apt, "booked", T, {
      basedOn: { type: "referral", id: "REF-1" },
      appointment: { start: "2026-03-09T10:00:00Z" },
    });
    const without = statusUpdate("h-apt2", HOSPITAL, GP, apt, "cancelled", T + 1);
    expect(shares(businessOrderKeys(withBasis), businessOrderKeys(without))).toBe(true);
  });

  // Catches (review of 0113, item 1): a task or referral joining a package course keyed by its own id only — it
  // overtakes the package referral's creation or forward, the join is refused for good, and the live tracker
  // disagrees with a rebuild.
  it("queues a referral or task naming a package referral with that package referral", () => {
    const pkg = referral("h-pkg", "PKG-1", T);
    const task = envelopeOf(
      "h-task",
      GP,
      MUNICIPALITY,
      {
        kind: "task-requisition",
        taskId: "TASK-1",
        code: "home-visit",
        packageReferralId: "PKG-1",
      },
      T,
    );
    const ref = envelopeOf(
      "h-ref3",
      GP,
      HOSPITAL,
      {
        kind: "referral",
        referralId: "REF-3",
        category: "hospital",
        packageReferralId: "PKG-1",
      },
      T,
    );
    for (const joining of [task, ref]) {
      expect(shares(businessOrderKeys(pkg), businessOrderKeys(joining)), joining.hubId).toBe(true);
    }
  });
});
