import { describe, expect, it } from "vitest";
import { FlowCounter } from "./flow-counter.ts";

const T = 1_800_000_000_000;

describe("FlowCounter", () => {
  it("counts each event type in its second, received by kind and sender, delivered by receiver", () => {
    const counter = new FlowCounter(60);
    counter.count({ type: "received", kind: "lab-result", sourceEndpoint: "lab" }, T);
    counter.count({ type: "received", kind: "lab-result", sourceEndpoint: "lab" }, T + 999);
    counter.count({ type: "received", kind: "referral", sourceEndpoint: "gp" }, T + 1_000);
    counter.count({ type: "delivered", endpoint: "gp" }, T + 1_000);
    counter.count({ type: "rejected" }, T + 1_000);
    counter.count({ type: "dead-lettered" }, T + 1_000);
    counter.count({ type: "ack-overdue" }, T + 1_000);
    counter.count({ type: "routed", kind: "lab-result", translatedFrom: "h-source" }, T + 1_000);
    const [first, second] = counter.series(T + 1_000, 2);
    expect(first).toMatchObject({ t: T / 1000, received: 2, byKind: { "lab-result": 2 }, bySender: { lab: 2 } });
    expect(second).toEqual({
      t: T / 1000 + 1,
      received: 1,
      delivered: 1,
      rejected: 1,
      deadLettered: 1,
      ackOverdue: 1,
      byKind: { referral: 1 },
      bySender: { gp: 1 },
      byReceiver: { gp: 1 },
    });
  });

  it("counts a message that reached PIPELINE by its routed or router rejected event (intake publishes no received)", () => {
    const counter = new FlowCounter(60);
    counter.count({ type: "routed", kind: "referral", sourceEndpoint: "gp" }, T);
    counter.count({ type: "rejected", stage: "router", kind: "lab-result", sourceEndpoint: "lab" }, T);
    counter.count({ type: "rejected", stage: "intake", kind: "lab-result", sourceEndpoint: "lab" }, T);
    counter.count({ type: "received", kind: "lab-result", sourceEndpoint: "lab" }, T);
    // A letter the hub made from a message counted already is not a message received.
    counter.count({ type: "routed", kind: "lab-result", sourceEndpoint: "gp", translatedFrom: "h-1" }, T);
    const [second] = counter.series(T, 1);
    expect(second).toMatchObject({
      received: 3,
      rejected: 2,
      byKind: { referral: 1, "lab-result": 2 },
      bySender: { gp: 1, lab: 2 },
    });
  });

  it("answers the whole window oldest first, quiet seconds as zeros", () => {
    const counter = new FlowCounter(10);
    counter.count({ type: "received" }, T - 5_000);
    const series = counter.series(T);
    expect(series).toHaveLength(10);
    expect(series.map((s) => s.t)).toEqual(Array.from({ length: 10 }, (_, i) => T / 1000 - 9 + i));
    expect(series.map((s) => s.received)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it("forgets a second once the window has moved past it, even when its ring slot is not reused", () => {
    const counter = new FlowCounter(10);
    counter.count({ type: "received" }, T);
    // Ten seconds later the slot is the same one; a stale count must not read as the new second's.
    expect(counter.series(T + 10_000, 1)[0]?.received).toBe(0);
    expect(counter.series(T + 15_000).every((s) => s.received === 0)).toBe(true);
    counter.count({ type: "received" }, T + 10_000);
    expect(counter.series(T + 10_000, 1)[0]?.received).toBe(1);
  });
});
