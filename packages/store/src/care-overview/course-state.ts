import type { BusinessStatus, CourseState } from "@carehub/schemas";

/** Statuses after which a package referral no longer runs: the course is stopped. */
const STOPPING: readonly BusinessStatus[] = ["cancelled", "deleted", "rejected"];
/** Statuses that say something has happened with the patient (attended or not): the course is under way. */
const UNDER_WAY: readonly BusinessStatus[] = ["in-progress", "completed", "no-show"];
/** Statuses of an agreed activity not yet done. */
const AGREED: readonly BusinessStatus[] = ["planned", "booked", "rescheduled", "accepted"];
/** Statuses of an item still waiting for something to happen. */
const OPEN: readonly BusinessStatus[] = [
  "sent",
  "requested",
  "received",
  "accepted",
  "planned",
  "booked",
  "rescheduled",
  "in-progress",
];

/**
 * A course's state, from its package referral's status and the statuses of every item in it (the package referral
 * included), in this order of precedence:
 * - `stopped`: the package referral was cancelled, rejected or deleted;
 * - `completed`: the package referral is completed and no item is still open;
 * - `in-progress`: something has happened with the patient (an item in progress, completed or not attended);
 * - `planned`: an activity is agreed (planned, booked, rescheduled, accepted) but none has taken place;
 * - `referred`: otherwise (sent, received).
 * Pure: the same items give the same state, whatever order their messages arrived in.
 */
export function courseState(
  packageReferral: BusinessStatus | null,
  items: readonly (BusinessStatus | null)[],
): CourseState {
  if (packageReferral !== null && STOPPING.includes(packageReferral)) return "stopped";
  const statuses = items.filter((s): s is BusinessStatus => s !== null);
  if (packageReferral === "completed" && !statuses.some((s) => OPEN.includes(s))) return "completed";
  if (statuses.some((s) => UNDER_WAY.includes(s))) return "in-progress";
  if (statuses.some((s) => AGREED.includes(s))) return "planned";
  return "referred";
}
