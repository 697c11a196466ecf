import { describe, expect, it } from "vitest";
import { businessOrderKey, recordOnlyChange } from "./envelope-handler.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  HUB,
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

describe("businessOrderKey", () => {
  // Catches: a referral's status updates (or an appointment booked for it, which reads its parties) queued apart
  // from the referral, so folded side by side with it; or every referral in one queue.
  it("queues a referral, its status updates and its appointments' together, another referral apart", () => {
    const about = { type: "referral" as const, id: "REF-1" };
    const appointment = statusUpdate("h-apt", HOSPITAL, GP, { type: "appointment", id: "APT-9" }, "booked", T, {
      basedOn: about,
      appointment: { start: "2026-03-09T10:00:00Z" },
    });
    const keys = [
      referral("h-ref", "REF-1", T),
      statusUpdate("h-st", HOSPITAL, GP, about, "booked", T),
      appointment,
    ].map(businessOrderKey);
    expect(new Set(keys).size).toBe(1);
    expect(businessOrderKey(referral("h-ref2", "REF-2", T))).not.toBe(keys[0]);
    expect(businessOrderKey(taskRequisition("h-task", "REF-1", T))).not.toBe(keys[0]);
  });
});
