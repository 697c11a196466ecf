import type { BusinessStatus } from "@carehub/schemas";
import { checkTransition, type StateMachine, statusRank } from "./state-machines.ts";

/** An appointment time as a status fact reports it. */
export interface AppointmentTime {
  start: string;
  end?: string;
}

/**
 * One fact about a referral, task or appointment: "it became <status> at <occurredAt>". A fact's identity is
 * (status, occurredAt): the same fact reported by several messages (a resend under a new id, a copy through
 * another channel) is one fact with several sources. The set of facts only grows; the current state is
 * always recomputed from it, so the order facts arrive in cannot change the result.
 */
export interface StatusFact {
  status: BusinessStatus;
  /** Epoch milliseconds. */
  occurredAt: number;
  /** hubIds of the messages that reported this fact, sorted, without repeats. */
  sources: string[];
  /** The time the fact states: a booked time, or for a `planned` fact its expected window. */
  appointment?: AppointmentTime;
  /** The source that supplied `appointment` (the smallest source that carried one, so merging is order-free). */
  appointmentSource?: string;
  /**
   * Registry ids of the endpoints that already have this fact: the senders and receivers of the messages
   * that reported it (sorted, no repeats). Decides whether the hub must send the status back.
   */
  knownBy: string[];
  /**
   * Registry ids of the endpoints that stated this fact (the senders of the messages that reported it; sorted,
   * no repeats). Decides, with the entity's parties, whether the fact may stand (status-authority.ts).
   */
  by: string[];
}

export type FactOutcome = "applied" | "repeated" | "refused";

export interface FoldedFact {
  fact: StatusFact;
  key: string;
  outcome: FactOutcome;
  reason?: string;
  /** The stable code of a refusal that is not about the transition itself (CAREHUB_ERR_STATUS_NOT_A_PARTY). */
  code?: string;
  /** The status in force just before this fact (what it was checked against). */
  before: BusinessStatus | null;
}

export interface FoldResult {
  status: BusinessStatus | null;
  /** The fact that set the current status. */
  current: StatusFact | undefined;
  /** The latest appointment time among applied facts. */
  appointment: AppointmentTime | undefined;
  /** The expected window of the latest applied `planned` fact (a `planned` fact's time is a window, not a booking). */
  plannedWindow: AppointmentTime | undefined;
  facts: FoldedFact[];
}

export function factKey(fact: Pick<StatusFact, "status" | "occurredAt">): string {
  return `${fact.status}@${fact.occurredAt}`;
}

/**
 * The order facts are folded in: the creating fact (`sent`, `requested`) first whatever its time, because a
 * referral exists before anything can happen to it even when clocks disagree; then by occurredAt; facts
 * stamped with the same instant in the machine's natural order.
 */
export function compareFacts(machine: StateMachine): (a: StatusFact, b: StatusFact) => number {
  return (a, b) => {
    const aCreation = a.status === machine.creation ? 0 : 1;
    const bCreation = b.status === machine.creation ? 0 : 1;
    if (aCreation !== bCreation) return aCreation - bCreation;
    if (a.occurredAt !== b.occurredAt) return a.occurredAt - b.occurredAt;
    return statusRank(machine, a.status) - statusRank(machine, b.status);
  };
}

/** Why a fact may not stand whatever the transition (its speakers have no part), or undefined when it may. */
export type FactAuthority = (fact: StatusFact) => { code: string; reason: string } | undefined;

/**
 * Folds the facts in time order through the machine. Pure and deterministic in the set of facts (and the
 * entity's parties): a fact its speakers may not state is refused before the machine sees it, so it never
 * moves the state, whenever it arrived.
 */
export function foldFacts(
  machine: StateMachine,
  facts: readonly StatusFact[],
  authority: FactAuthority = () => undefined,
): FoldResult {
  const sorted = [...facts].sort(compareFacts(machine));
  let status: BusinessStatus | null = null;
  let current: StatusFact | undefined;
  let appointment: AppointmentTime | undefined;
  let plannedWindow: AppointmentTime | undefined;
  const folded: FoldedFact[] = [];
  for (const fact of sorted) {
    const before = status;
    const refusal = authority(fact);
    if (refusal !== undefined) {
      folded.push({ fact, key: factKey(fact), outcome: "refused", ...refusal, before });
      continue;
    }
    const check = checkTransition(machine, status, fact.status);
    if (!check.ok) {
      folded.push({ fact, key: factKey(fact), outcome: "refused", reason: check.reason, before });
      continue;
    }
    if (check.outcome === "applied") {
      status = fact.status;
      current = fact;
    }
    if (fact.appointment !== undefined && fact.status === "planned") plannedWindow = fact.appointment;
    else if (fact.appointment !== undefined) appointment = fact.appointment;
    folded.push({ fact, key: factKey(fact), outcome: check.outcome, before });
  }
  return { status, current, appointment, plannedWindow, facts: folded };
}

/**
 * Adds a fact to a set of facts: a new fact is inserted, a known one gains the new sources. Returns the same
 * array when nothing changed, so callers can skip a write.
 */
export function mergeFact(facts: readonly StatusFact[], incoming: StatusFact): StatusFact[] | undefined {
  const key = factKey(incoming);
  const index = facts.findIndex((f) => factKey(f) === key);
  if (index === -1) return [...facts, normaliseFact(incoming)].sort(storageOrder);
  const existing = facts[index] as StatusFact;
  const merged = mergeSameFact(existing, incoming);
  if (merged === undefined) return undefined;
  const next = [...facts];
  next[index] = merged;
  return next;
}

/** Facts are stored in one canonical order, so the same set always encodes to the same bytes. */
function storageOrder(a: StatusFact, b: StatusFact): number {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt - b.occurredAt;
  return a.status < b.status ? -1 : a.status > b.status ? 1 : 0;
}

function mergeSameFact(existing: StatusFact, incoming: StatusFact): StatusFact | undefined {
  const sources = unionSorted(existing.sources, incoming.sources);
  const knownBy = unionSorted(existing.knownBy, incoming.knownBy);
  const by = unionSorted(existing.by, incoming.by);
  let appointment = existing.appointment;
  let appointmentSource = existing.appointmentSource;
  const incomingSource = incoming.sources[0];
  if (incoming.appointment !== undefined && incomingSource !== undefined) {
    if (appointmentSource === undefined || incomingSource < appointmentSource) {
      appointment = incoming.appointment;
      appointmentSource = incomingSource;
    }
  }
  const changed =
    sources.length !== existing.sources.length ||
    knownBy.length !== existing.knownBy.length ||
    by.length !== existing.by.length ||
    appointmentSource !== existing.appointmentSource;
  if (!changed) return undefined;
  return {
    ...existing,
    sources,
    knownBy,
    by,
    ...(appointment === undefined ? {} : { appointment }),
    ...(appointmentSource === undefined ? {} : { appointmentSource }),
  };
}

function normaliseFact(fact: StatusFact): StatusFact {
  const sources = unionSorted([], fact.sources);
  const normalised: StatusFact = {
    status: fact.status,
    occurredAt: fact.occurredAt,
    sources,
    knownBy: unionSorted([], fact.knownBy),
    by: unionSorted([], fact.by),
  };
  if (fact.appointment !== undefined && sources[0] !== undefined) {
    normalised.appointment = fact.appointment;
    normalised.appointmentSource = fact.appointmentSource ?? sources[0];
  }
  return normalised;
}

export function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
