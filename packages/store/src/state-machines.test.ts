import type { BusinessStatus } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { foldFacts, type StatusFact } from "./entity-fold.ts";
import {
  APPOINTMENT_MACHINE,
  checkTransition,
  machineFor,
  REFERRAL_MACHINE,
  type StateMachine,
  TASK_MACHINE,
} from "./state-machines.ts";

function facts(...statuses: BusinessStatus[]): StatusFact[] {
  return statuses.map((status, i) => ({
    status,
    occurredAt: 1_000 * (i + 1),
    sources: [`m${i}`],
    knownBy: [],
    by: [],
  }));
}

function fold(machine: StateMachine, ...statuses: BusinessStatus[]) {
  return foldFacts(machine, facts(...statuses));
}

describe("referral machine", () => {
  it("follows sent → received → booked ↔ rescheduled → completed", () => {
    const result = fold(REFERRAL_MACHINE, "sent", "received", "booked", "rescheduled", "booked", "completed");
    expect(result.status).toBe("completed");
    expect(result.facts.map((f) => f.outcome)).toEqual([
      "applied",
      "applied",
      "applied",
      "applied",
      "applied",
      "applied",
    ]);
  });

  it.each<[BusinessStatus]>([["cancelled"], ["no-show"], ["deleted"]])("ends in %s from booked", (end) => {
    expect(fold(REFERRAL_MACHINE, "sent", "booked", end).status).toBe(end);
  });

  it("refuses completed → booked with a reason and keeps completed", () => {
    const result = fold(REFERRAL_MACHINE, "sent", "booked", "completed", "booked");
    expect(result.status).toBe("completed");
    const refused = result.facts[3];
    expect(refused?.outcome).toBe("refused");
    expect(refused?.before).toBe("completed");
    expect(refused?.reason).toBe("a referral cannot go from completed to booked (allowed: deleted)");
  });

  it("lets a finished referral be deleted (entered in error) but nothing after deleted", () => {
    const result = fold(REFERRAL_MACHINE, "sent", "booked", "completed", "deleted", "booked");
    expect(result.status).toBe("deleted");
    expect(result.facts[4]?.reason).toBe("deleted is final for a referral; booked cannot follow it");
  });

  it("treats a repeat of the same status as no change, but a second reschedule as a change", () => {
    const repeated = fold(REFERRAL_MACHINE, "sent", "booked", "booked");
    expect(repeated.facts[2]?.outcome).toBe("repeated");
    expect(repeated.current?.occurredAt).toBe(2_000);
    const moved = fold(REFERRAL_MACHINE, "sent", "booked", "rescheduled", "rescheduled");
    expect(moved.facts[3]?.outcome).toBe("applied");
    expect(moved.current?.occurredAt).toBe(4_000);
  });

  it("refuses a status referrals do not have", () => {
    expect(checkTransition(REFERRAL_MACHINE, "sent", "in-progress")).toEqual({
      ok: false,
      reason: "a referral has no status in-progress",
    });
  });

  it("folds the creating fact first even when its clock is behind", () => {
    const skewed: StatusFact[] = [
      { status: "booked", occurredAt: 5_000, sources: ["b"], knownBy: [], by: [] },
      { status: "sent", occurredAt: 9_000, sources: ["a"], knownBy: [], by: [] },
    ];
    const result = foldFacts(REFERRAL_MACHINE, skewed);
    expect(result.facts.map((f) => [f.fact.status, f.outcome])).toEqual([
      ["sent", "applied"],
      ["booked", "applied"],
    ]);
  });
});

describe("task machine", () => {
  it("follows requested → accepted → in-progress → completed", () => {
    expect(fold(TASK_MACHINE, "requested", "accepted", "in-progress", "completed").status).toBe("completed");
  });

  it("refuses work before acceptance", () => {
    const result = fold(TASK_MACHINE, "requested", "in-progress");
    expect(result.status).toBe("requested");
    expect(result.facts[1]?.outcome).toBe("refused");
  });

  it("treats rejected as final", () => {
    expect(fold(TASK_MACHINE, "requested", "rejected", "accepted").facts[2]?.outcome).toBe("refused");
  });

  it("refuses a status tasks do not have", () => {
    expect(checkTransition(TASK_MACHINE, "accepted", "booked").ok).toBe(false);
  });
});

describe("appointment machine", () => {
  it("follows booked ↔ rescheduled → no-show", () => {
    expect(fold(APPOINTMENT_MACHINE, "booked", "rescheduled", "booked", "no-show").status).toBe("no-show");
  });

  it("refuses cancelled → completed", () => {
    expect(fold(APPOINTMENT_MACHINE, "booked", "cancelled", "completed").facts[2]?.outcome).toBe("refused");
  });

  it("accepts any known status as the start of a history (the creating message may predate the hub)", () => {
    expect(checkTransition(APPOINTMENT_MACHINE, null, "completed")).toEqual({ ok: true, outcome: "applied" });
  });
});

describe("facts stamped with the same instant", () => {
  // Pairs whose natural order (earlier → later) is neither their alphabetical order (how facts are stored) nor
  // necessarily their arrival order: only the tie-breaker folds them as the valid step they are.
  it.each<[StateMachine["type"], BusinessStatus[], BusinessStatus, BusinessStatus]>([
    ["referral", ["sent"], "received", "booked"],
    ["task", ["requested", "accepted"], "in-progress", "completed"],
    ["task", ["requested"], "received", "accepted"],
    ["appointment", ["booked"], "rescheduled", "completed"],
  ])("a %s after %j folds %s → %s in the natural order, whichever comes first", (type, before, earlier, later) => {
    const machine = machineFor(type);
    const history = before.map((status, i) => fact(status, 1_000 * (i + 1), `b${i}`));
    const expected = [...before, earlier, later].map((status) => [status, "applied"]);
    for (const pair of [
      [fact(earlier, 7_000, "e"), fact(later, 7_000, "l")],
      [fact(later, 7_000, "l"), fact(earlier, 7_000, "e")],
    ]) {
      const result = foldFacts(machine, [...history, ...pair]);
      expect(result.facts.map((f) => [f.fact.status, f.outcome])).toEqual(expected);
      expect(result.status).toBe(later);
    }
  });
});

function fact(status: BusinessStatus, occurredAt: number, source: string): StatusFact {
  return { status, occurredAt, sources: [source], knownBy: [], by: [] };
}
