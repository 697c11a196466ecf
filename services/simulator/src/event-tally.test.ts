import type { LifecycleEvent } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { emptyTally, statusCounts, tallyEvent } from "./event-tally.ts";
import { emptyStats } from "./stats.ts";
import { renderSummary } from "./summary.ts";

const base = { schemaVersion: 1 as const, at: "2026-01-01T00:00:00Z", hubId: "h1", kind: "referral" as const };

describe("event tally", () => {
  it("counts events per kind and column, acknowledgements split ok / negative, retries from failed deliveries", () => {
    const tally = emptyTally();
    const events: LifecycleEvent[] = [
      // A routed message has no `received` event (intake leaves it out): its `routed` counts it as received.
      { ...base, eventId: "2", type: "routed", receivers: ["h"], ruleCopies: [] },
      {
        ...base,
        eventId: "3",
        type: "delivery-failed",
        endpoint: "h",
        attempt: 1,
        error: { code: "X", message: "down" },
      },
      { ...base, eventId: "4", type: "delivered", endpoint: "h", attempt: 2, durationMs: 3 },
      { ...base, eventId: "5", type: "acknowledged", endpoint: "h", code: "fatal-error" },
      { ...base, eventId: "6", kind: "lab-result", type: "acknowledged", endpoint: "p", code: "ok" },
      {
        ...base,
        hubId: "h2",
        eventId: "8",
        kind: "lab-result",
        type: "received",
        contentType: "application/xml",
        size: 9,
      },
      { schemaVersion: 1, at: base.at, hubId: "h2", eventId: "9", type: "acknowledged", endpoint: "p", code: "ok" },
      { ...base, eventId: "7", type: "ack-overdue", endpoint: "h", dueAt: "2026-01-01T00:01:00Z" },
    ];
    for (const event of events) tallyEvent(tally, event);
    expect(tally.byKind.referral).toMatchObject({
      received: 1,
      routed: 1,
      retries: 1,
      delivered: 1,
      nacked: 1,
      acked: 0,
      "ack-overdue": 1,
    });
    // An acknowledged event without a kind counts under the kind of the message it answers.
    expect(tally.byKind["lab-result"]).toMatchObject({ received: 1, acked: 2 });
    expect(tally.byKind.unknown).toBeUndefined();
    expect(tally.totals).toMatchObject({ acked: 2, nacked: 1, delivered: 1 });
  });

  it("keeps the latest status of each referral and task", () => {
    const tally = emptyTally();
    const change = (
      id: string,
      type: "referral" | "task",
      to: "booked" | "completed" | "accepted",
      eventId: string,
    ): LifecycleEvent => ({
      ...base,
      eventId,
      type: "status-changed",
      subject: { type, id },
      from: null,
      to,
      occurredAt: base.at,
    });
    tallyEvent(tally, change("r1", "referral", "booked", "a"));
    tallyEvent(tally, change("r1", "referral", "completed", "b"));
    tallyEvent(tally, change("r2", "referral", "booked", "c"));
    tallyEvent(tally, change("t1", "task", "accepted", "d"));
    expect(statusCounts(tally.referrals)).toEqual({ completed: 1, booked: 1 });
    expect(statusCounts(tally.tasks)).toEqual({ accepted: 1 });
    const text = renderSummary({
      title: "demo",
      elapsedMs: 61_000,
      tally,
      simulation: emptyStats(),
      pointers: [],
    }).join("\n");
    expect(text).toContain("running 00:01:01");
    expect(text).toContain("referrals: booked 1 · completed 1");
    expect(text).toContain("tasks:     accepted 1");
  });
});
