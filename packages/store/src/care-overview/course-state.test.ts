import type { BusinessStatus, CourseState } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { courseState } from "./course-state.ts";

/*
 * The course state, as a table: the package referral's status, every item's status (the referral's included), and
 * the state. Each row names the mistake it catches.
 */
const rows: [string, BusinessStatus | null, (BusinessStatus | null)[], CourseState][] = [
  ["just sent", "sent", ["sent"], "referred"],
  ["received, nothing agreed", "received", ["received", "requested"], "referred"],
  ["a rehabilitation planned (planned counted as referred)", "received", ["received", "planned"], "planned"],
  ["an appointment booked", "booked", ["booked", "booked"], "planned"],
  [
    "a not-attended appointment is something that happened",
    "received",
    ["received", "planned", "no-show"],
    "in-progress",
  ],
  ["one item done, others open", "booked", ["booked", "completed", "planned"], "in-progress"],
  [
    "package referral completed while the rehabilitation still runs (completed too early)",
    "completed",
    ["completed", "in-progress"],
    "in-progress",
  ],
  [
    "package referral completed, every item closed",
    "completed",
    ["completed", "completed", "cancelled", "no-show"],
    "completed",
  ],
  ["package referral cancelled (stopped missed)", "cancelled", ["cancelled", "planned"], "stopped"],
  ["package referral deleted", "deleted", ["deleted", "completed"], "stopped"],
];

describe("courseState", () => {
  it.each(rows)("%s", (_name, referral, items, expected) => {
    expect(courseState(referral, items)).toBe(expected);
  });

  it("does not depend on the order of the items", () => {
    expect(courseState("booked", ["planned", "completed", "booked"])).toBe(
      courseState("booked", ["booked", "completed", "planned"]),
    );
  });
});
