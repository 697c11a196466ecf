import { z } from "zod";
import { BusinessStatus, ReferralCategory, StatusSubjectType } from "./content.ts";

/**
 * Bodies of the care overview (issue 12): `GET /v1/patients/overview` (the patient named in the
 * `Carehub-Patient` header, never in the URL), `GET /v1/courses/:id` and `GET /v1/care-lists`. Built by the
 * tracker from events (packages/store, care-overview/); docs/contracts.md, "Package courses and the care overview".
 * No patient identifier appears in any of them.
 */

/** A booked time or an expected window. */
const TimeSpan = z.object({ start: z.string(), end: z.string().optional() });

/** One status an item went through, and the hub id of the message that stated it. */
export const CareItemChange = z.object({
  status: BusinessStatus,
  at: z.string(),
  /** hubId of the message that stated this status. */
  statedBy: z.string(),
  appointment: TimeSpan.optional(),
  plannedWindow: TimeSpan.optional(),
});
export type CareItemChange = z.infer<typeof CareItemChange>;

/** A referral, task or appointment as the overview shows it. */
export const CareItem = z.object({
  type: StatusSubjectType,
  id: z.string(),
  /** The endpoint that originated it (for an appointment: that of the referral or task it was booked for). */
  originator: z.string(),
  status: BusinessStatus.nullable(),
  /** Who performs it: a referral's or task's receivers; the endpoints that stated an appointment's statuses. */
  performers: z.array(z.string()),
  /** The booked time, else the expected window of a planned item. */
  when: TimeSpan.optional(),
  plannedWindow: TimeSpan.optional(),
  /** When the current status took effect. */
  since: z.string().optional(),
  /** hubId of the message that stated the current status. */
  statedBy: z.string().optional(),
  /** The referral or task an appointment was booked for. */
  basedOn: z.object({ type: StatusSubjectType, id: z.string() }).optional(),
  /** The statuses that stood, in time order (refused ones are left out). */
  changes: z.array(CareItemChange),
});
export type CareItem = z.infer<typeof CareItem>;

/** A course's state, derived from its items (packages/store, care-overview/course-state.ts). */
export const CourseState = z.enum(["referred", "planned", "in-progress", "completed", "stopped"]);
export type CourseState = z.infer<typeof CourseState>;

/** A package course: the package referral and every item that names it, with its derived state. */
export const CareCourse = z.object({
  /** `<originator>:<package referral id>`. */
  id: z.string(),
  /** The package code (packages/store, care-overview/package-codes.ts). */
  package: ReferralCategory,
  packageName: z.string(),
  state: CourseState,
  referral: z.object({ originator: z.string(), id: z.string() }),
  /** Items in the order they were first stated. */
  items: z.array(CareItem),
});
export type CareCourse = z.infer<typeof CareCourse>;

/** `GET /v1/patients/overview`: the patient's courses and the items outside any course, as the caller may see them. */
export const PatientOverview = z.object({ courses: z.array(CareCourse), items: z.array(CareItem) });
export type PatientOverview = z.infer<typeof PatientOverview>;

/** The worklists of `GET /v1/care-lists`. */
export const CareListName = z.enum(["not-booked", "past-window", "booked-no-outcome"]);
export type CareListName = z.infer<typeof CareListName>;

/** Query string of `GET /v1/care-lists`. */
export const CareListQuery = z.strictObject({
  /**
   * `not-booked`: referrals and tasks received but not planned or booked for `days` days; `past-window`: planned
   * but the expected window has ended; `booked-no-outcome`: a booked time in the past with no outcome.
   */
  list: CareListName,
  /** The endpoint whose list it is. Operators must name one; an endpoint reads only its own. */
  endpoint: z.string().min(1).max(64).optional(),
  days: z.coerce.number().int().min(0).max(3_650).default(14),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type CareListQuery = z.infer<typeof CareListQuery>;

/** A page of a worklist, oldest first. */
export const CareListPage = z.object({
  items: z.array(CareItem),
  /** null when there is nothing more. A page may hold fewer than `limit` items and still have a next cursor. */
  nextCursor: z.string().nullable(),
});
export type CareListPage = z.infer<typeof CareListPage>;
