import type { BusinessStatus } from "@carehub/schemas";

/** What a status fact is about. */
export type SubjectType = "referral" | "task" | "appointment";

/**
 * The business state machine of one subject type. Statuses are listed in their natural order; that order
 * also breaks ties between facts reported for the same instant (so `booked` and `completed` stamped with
 * the same second fold as booked → completed, never the other way round).
 */
export interface StateMachine {
  readonly type: SubjectType;
  /** Every status this subject can have, in natural order. */
  readonly statuses: readonly BusinessStatus[];
  /** The status the creating message itself sets (`sent` for a referral, `requested` for a task). */
  readonly creation: BusinessStatus | undefined;
  /** Allowed moves; a status missing here (or mapped to nothing) is terminal. */
  readonly next: Readonly<Partial<Record<BusinessStatus, readonly BusinessStatus[]>>>;
  /** Statuses that may follow themselves as a real change (a second reschedule moves the appointment again). */
  readonly selfLoops: readonly BusinessStatus[];
}

/**
 * Referral: sent → received → planned → (booked ↔ rescheduled) → completed | cancelled | no-show | deleted.
 * A hospital often confirms a booking without a separate "received", so forward skips are allowed; a
 * finished referral can still be deleted (entered in error), nothing else leaves a final status. `planned`
 * (agreed, not yet booked, with an expected window) may follow itself: each re-plan moves the window.
 */
export const REFERRAL_MACHINE: StateMachine = {
  type: "referral",
  statuses: ["sent", "received", "planned", "booked", "rescheduled", "completed", "no-show", "cancelled", "deleted"],
  creation: "sent",
  next: {
    sent: ["received", "planned", "booked", "cancelled", "deleted"],
    received: ["planned", "booked", "cancelled", "deleted"],
    planned: ["planned", "booked", "completed", "no-show", "cancelled", "deleted"],
    booked: ["rescheduled", "completed", "no-show", "cancelled", "deleted"],
    rescheduled: ["booked", "rescheduled", "completed", "no-show", "cancelled", "deleted"],
    completed: ["deleted"],
    "no-show": ["deleted"],
    cancelled: ["deleted"],
  },
  selfLoops: ["planned", "rescheduled"],
};

/**
 * Task requisition: requested → accepted | rejected → planned → in-progress → completed | cancelled. The
 * receiver may first say it received the task; work can only start once the task is accepted (a planned task
 * was accepted: planning it is agreeing to perform it).
 */
export const TASK_MACHINE: StateMachine = {
  type: "task",
  statuses: ["requested", "received", "accepted", "rejected", "planned", "in-progress", "completed", "cancelled"],
  creation: "requested",
  next: {
    requested: ["received", "accepted", "rejected", "planned", "cancelled"],
    received: ["accepted", "rejected", "planned", "cancelled"],
    accepted: ["planned", "in-progress", "completed", "cancelled"],
    planned: ["planned", "in-progress", "completed", "cancelled"],
    "in-progress": ["completed", "cancelled"],
  },
  selfLoops: ["planned"],
};

/** Appointment: planned → (booked ↔ rescheduled) → completed | cancelled | no-show | deleted. */
export const APPOINTMENT_MACHINE: StateMachine = {
  type: "appointment",
  statuses: ["planned", "booked", "rescheduled", "completed", "no-show", "cancelled", "deleted"],
  creation: undefined,
  next: {
    planned: ["planned", "booked", "completed", "no-show", "cancelled", "deleted"],
    booked: ["rescheduled", "completed", "no-show", "cancelled", "deleted"],
    rescheduled: ["booked", "rescheduled", "completed", "no-show", "cancelled", "deleted"],
    completed: ["deleted"],
    "no-show": ["deleted"],
    cancelled: ["deleted"],
  },
  selfLoops: ["planned", "rescheduled"],
};

/*
 * Notifications (advisering) have no business state machine: they are delivered and no reply is expected,
 * so their transport status in the message's lifecycle record is all there is to know.
 */

export function machineFor(type: SubjectType): StateMachine {
  switch (type) {
    case "referral":
      return REFERRAL_MACHINE;
    case "task":
      return TASK_MACHINE;
    case "appointment":
      return APPOINTMENT_MACHINE;
  }
}

export type TransitionCheck = { ok: true; outcome: "applied" | "repeated" } | { ok: false; reason: string };

/**
 * Whether `to` may follow `from`. `from` is null before the first accepted fact: any status the subject
 * knows may start a history, because the hub does not always see the creating message (a referral sent
 * on paper, a booking for a referral that predates the hub). A repeat of the current status is not a
 * change (a resend of the same status under a new message id) unless the status may follow itself.
 */
export function checkTransition(
  machine: StateMachine,
  from: BusinessStatus | null,
  to: BusinessStatus,
): TransitionCheck {
  if (!machine.statuses.includes(to)) {
    return { ok: false, reason: `a ${machine.type} has no status ${to}` };
  }
  if (from === null) return { ok: true, outcome: "applied" };
  if (from === to) return { ok: true, outcome: machine.selfLoops.includes(to) ? "applied" : "repeated" };
  const allowed = machine.next[from] ?? [];
  if (allowed.includes(to)) return { ok: true, outcome: "applied" };
  if (allowed.length === 0)
    return { ok: false, reason: `${from} is final for a ${machine.type}; ${to} cannot follow it` };
  return { ok: false, reason: `a ${machine.type} cannot go from ${from} to ${to} (allowed: ${allowed.join(", ")})` };
}

export function isFinal(machine: StateMachine, status: BusinessStatus): boolean {
  return (machine.next[status] ?? []).length === 0;
}

/** Position of a status in the machine's natural order (unknown statuses sort last). */
export function statusRank(machine: StateMachine, status: BusinessStatus): number {
  const index = machine.statuses.indexOf(status);
  return index === -1 ? machine.statuses.length : index;
}
