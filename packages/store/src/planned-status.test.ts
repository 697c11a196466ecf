import type { BusinessStatus } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { foldFacts, type StatusFact } from "./entity-fold.ts";
import { APPOINTMENT_MACHINE, REFERRAL_MACHINE, type StateMachine, TASK_MACHINE } from "./state-machines.ts";

/*
 * `planned` (issue 12): agreed, not yet booked, with an expected window. It moves on like any other status and
 * its window is kept apart from the booked time.
 */
const WINDOW = { start: "2026-03-16T00:00:00.000Z", end: "2026-03-27T23:00:00.000Z" };
const BOOKED = { start: "2026-03-18T09:00:00.000Z" };

function fact(status: BusinessStatus, i: number, time?: { start: string; end?: string }): StatusFact {
  return {
    status,
    occurredAt: 1_000 * (i + 1),
    sources: [`m${i}`],
    knownBy: [],
    by: [],
    ...(time ? { appointment: time } : {}),
  };
}

function fold(machine: StateMachine, ...statuses: BusinessStatus[]) {
  return foldFacts(
    machine,
    statuses.map((status, i) => fact(status, i)),
  );
}

const outcomes = (machine: StateMachine, ...statuses: BusinessStatus[]) =>
  fold(machine, ...statuses).facts.map((f) => f.outcome);

describe("planned", () => {
  // Catches `planned` missing from a machine or its moves: a planned referral would be refused outright.
  it("a referral goes sent → received → planned → booked → completed", () => {
    expect(outcomes(REFERRAL_MACHINE, "sent", "received", "planned", "booked", "completed")).toEqual([
      "applied",
      "applied",
      "applied",
      "applied",
      "applied",
    ]);
    expect(fold(REFERRAL_MACHINE, "sent", "received", "planned", "booked", "completed").status).toBe("completed");
  });

  it.each<[string, BusinessStatus, StateMachine]>([
    ["referral", "cancelled", REFERRAL_MACHINE],
    ["referral", "no-show", REFERRAL_MACHINE],
    ["task", "cancelled", TASK_MACHINE],
    ["appointment", "cancelled", APPOINTMENT_MACHINE],
    ["appointment", "no-show", APPOINTMENT_MACHINE],
  ])("a planned %s may end in %s", (_type, end, machine) => {
    expect(fold(machine, "planned", end).status).toBe(end);
    expect(outcomes(machine, "planned", end)).toEqual(["applied", "applied"]);
  });

  it("a planned task is performed: planned → in-progress → completed", () => {
    expect(outcomes(TASK_MACHINE, "requested", "accepted", "planned", "in-progress", "completed")).toEqual(
      Array(5).fill("applied"),
    );
  });

  it("a planned appointment is booked", () => {
    expect(outcomes(APPOINTMENT_MACHINE, "planned", "booked")).toEqual(["applied", "applied"]);
  });

  // Catches `planned` allowed from a final status: a finished referral would reopen.
  it.each<[string, BusinessStatus, StateMachine]>([
    ["referral", "completed", REFERRAL_MACHINE],
    ["referral", "cancelled", REFERRAL_MACHINE],
    ["task", "completed", TASK_MACHINE],
    ["appointment", "completed", APPOINTMENT_MACHINE],
  ])("a %s refuses planned after %s", (_type, end, machine) => {
    const result = fold(machine, "planned", end, "planned");
    expect(result.status).toBe(end);
    expect(result.facts.at(-1)?.outcome).toBe("refused");
  });

  // Catches planned accepted after a booking: the booked time would be silently "unbooked".
  it("a booked referral cannot go back to planned", () => {
    expect(outcomes(REFERRAL_MACHINE, "planned", "booked", "planned")).toEqual(["applied", "applied", "refused"]);
  });

  // Catches a re-plan treated as a repeat: the new window would be ignored.
  it("a re-plan is a change that moves the window", () => {
    const later = { start: "2026-04-01T00:00:00.000Z" };
    const result = foldFacts(REFERRAL_MACHINE, [fact("planned", 0, WINDOW), fact("planned", 1, later)]);
    expect(result.facts.map((f) => f.outcome)).toEqual(["applied", "applied"]);
    expect(result.plannedWindow).toEqual(later);
  });

  // Catches the window folded as the booked time (the overview would show a window as an appointment).
  it("keeps the planned window apart from the booked time", () => {
    const planned = foldFacts(REFERRAL_MACHINE, [fact("sent", 0), fact("planned", 1, WINDOW)]);
    expect(planned.plannedWindow).toEqual(WINDOW);
    expect(planned.appointment).toBeUndefined();
    const booked = foldFacts(REFERRAL_MACHINE, [
      fact("sent", 0),
      fact("planned", 1, WINDOW),
      fact("booked", 2, BOOKED),
    ]);
    expect(booked.appointment).toEqual(BOOKED);
    expect(booked.plannedWindow).toEqual(WINDOW);
  });
});
