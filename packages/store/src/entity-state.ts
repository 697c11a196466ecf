import type { BusinessEntity, BusinessHistoryEntry, BusinessStatus } from "@carehub/schemas";
import {
  type AppointmentTime,
  type FactAuthority,
  type FoldResult,
  factKey,
  foldFacts,
  mergeFact,
  type StatusFact,
  unionSorted,
} from "./entity-fold.ts";
import { machineFor, type SubjectType } from "./state-machines.ts";
import { anyMayState, type EntityParties } from "./status-authority.ts";

/**
 * A referral, task or appointment: its id is the originator's, so the originating endpoint is half of its
 * identity (two practices may both send `ref-0001`). An appointment is scoped by the originator of the
 * referral or task it was booked for.
 */
export interface SubjectRef {
  type: SubjectType;
  originator: string;
  id: string;
}

/** A sender's address as a message names it (where a hub-made status update must go). */
export interface PartyRef {
  sor?: string;
  gln?: string;
  name?: string;
}

/**
 * Something the tracker must do because of a change, kept in the entity until it is done (a transactional
 * outbox): the change and the duty to announce it are written in one atomic update, so a crash between the
 * write and the publish only delays the publish to the next touch of the entity.
 */
export type PendingEffect =
  | {
      id: string;
      type: "status-changed";
      /** hubId of the message whose fact caused the change. */
      cause: string;
      from: BusinessStatus | null;
      to: BusinessStatus;
      occurredAt: number;
    }
  | {
      id: string;
      type: "transition-refused";
      /** hubId of the message whose fact was refused. */
      cause: string;
      from: BusinessStatus | null;
      to: BusinessStatus;
      reason: string;
      /** CAREHUB_ERR_STATUS_NOT_A_PARTY when refused for who stated it. */
      code?: string;
      occurredAt: number;
    }
  | {
      id: string;
      type: "unmatched-status";
      /** hubId of the message that stated it. */
      cause: string;
      status: BusinessStatus;
      reportedBy: string;
      occurredAt: number;
    }
  | {
      id: string;
      type: "status-return";
      cause: string;
      /** The status the subject moved from (in time order) to reach this one. */
      from: BusinessStatus | null;
      /** Registry id of the originator the status goes back to. */
      originator: string;
      originatorParty?: PartyRef;
      status: BusinessStatus;
      occurredAt: number;
      appointment?: AppointmentTime;
    };

/** Everything the read model keeps about one referral, task or appointment. */
export interface EntityState {
  type: SubjectType;
  /** Part of the key: the endpoint that originated it (while unmatched: the one its statuses were sent to). */
  originator: string;
  id: string;
  /**
   * Whether the hub saw the creating message (for an appointment: the referral or task it was booked for).
   * Until then the entity is unmatched: its statuses are kept, flagged, and nobody has a part in it yet.
   */
  matched: boolean;
  originatorParty?: PartyRef;
  counterparts: string[];
  /**
   * Forwards of the referral or task: `by` passed it on `to` these endpoints. A forward by a party makes its
   * receivers parties too (kept as stated, so the parties are the same whatever order things arrive in).
   */
  forwards?: { by: string; to: string[] }[];
  basedOn?: SubjectRef;
  appointments: string[];
  facts: StatusFact[];
  /** Keys of facts for which a `stale` event was raised. */
  staleMarks: string[];
  /** Keys of facts the originator already has (sent back by the hub, or addressed to it by the source). */
  returned: string[];
  pending: PendingEffect[];
  /** Latest receive time of any message that touched this entity (epoch ms); retention counts from here. */
  lastSeen: number;
}

/** One change to an entity, from one message or event. Every part is optional and merges idempotently. */
export interface EntityUpdate {
  subject: SubjectRef;
  /** Receive time of the message behind this update (epoch ms). */
  seenAt: number;
  fact?: StatusFact;
  /**
   * The creating message: who started the referral or task, and whom it went to. For an appointment, the
   * parties of the referral or task it was booked for. Ignored unless `endpoint` is the subject's originator.
   */
  creation?: { endpoint: string; party?: PartyRef; counterparts: string[] };
  /** A message passing the referral or task on (`links.forwards`): who forwarded it, and to whom. */
  forward?: { by: string; to: string[] };
  basedOn?: SubjectRef;
  /** An appointment that names this entity as basedOn. */
  appointment?: string;
  staleMark?: string;
  returned?: string;
}

export interface EntityApplyOptions {
  /** false while rebuilding: the state is rebuilt, nothing is announced again. */
  recordEffects: boolean;
}

export interface EntityApplyResult {
  state: EntityState;
  /** false when the update changed nothing (a duplicate). */
  changed: boolean;
}

const MAX_FACTS = 500;
/**
 * Facts kept on a matched entity from endpoints that may not state them (refused, for operators to see). Bounded
 * on their own, so a stranger flooding an entity can never use up the room of its parties' facts.
 */
const MAX_STRANGER_FACTS = 50;

export function emptyEntity(subject: SubjectRef, seenAt: number): EntityState {
  return {
    type: subject.type,
    originator: subject.originator,
    id: subject.id,
    matched: false,
    counterparts: [],
    appointments: [],
    facts: [],
    staleMarks: [],
    returned: [],
    pending: [],
    lastSeen: seenAt,
  };
}

/**
 * Applies one update. Pure: the caller reads the state, applies, and writes back atomically (compare and set).
 * The fold over the fact set decides the state; the effects compare the fold before and after this update.
 */
export function applyEntityUpdate(
  current: EntityState | undefined,
  update: EntityUpdate,
  options: EntityApplyOptions,
): EntityApplyResult {
  const before = current ?? emptyEntity(update.subject, update.seenAt);
  const machine = machineFor(before.type);
  const next: EntityState = { ...before, lastSeen: Math.max(before.lastSeen, update.seenAt) };
  if (update.creation !== undefined) mergeCreation(next, update.creation);
  if (update.forward !== undefined) next.forwards = mergeForward(next.forwards ?? [], update.forward);
  if (update.basedOn !== undefined && next.basedOn === undefined) next.basedOn = update.basedOn;
  if (update.appointment !== undefined) next.appointments = unionSorted(next.appointments, [update.appointment]);
  if (update.staleMark !== undefined) next.staleMarks = unionSorted(next.staleMarks, [update.staleMark]);
  if (update.returned !== undefined) next.returned = unionSorted(next.returned, [update.returned]);
  const effects: PendingEffect[] = [];
  if (update.fact !== undefined && hasRoomFor(next, update.fact)) {
    const isNew = !hasFact(next.facts, update.fact);
    const merged = mergeFact(next.facts, update.fact);
    if (merged !== undefined) next.facts = merged;
    if (isNew && !next.matched) effects.push(unmatchedEffect(next, update.fact));
  }

  const foldBefore = foldFacts(machine, before.facts, factAuthority(before));
  const foldAfter = foldFacts(machine, next.facts, factAuthority(next));
  const cause = update.fact?.sources[0] ?? foldAfter.current?.sources[0] ?? "";
  const statusMoved =
    foldAfter.status !== foldBefore.status ||
    (foldAfter.current !== undefined &&
      foldBefore.current !== undefined &&
      factKey(foldAfter.current) !== factKey(foldBefore.current));
  if (statusMoved && foldAfter.status !== null && foldAfter.current !== undefined) {
    effects.push({
      id: `${cause}:status-changed:${subjectKey(next)}`,
      type: "status-changed",
      cause,
      from: foldBefore.status,
      to: foldAfter.status,
      occurredAt: foldAfter.current.occurredAt,
    });
  }
  const refusedBefore = new Set(foldBefore.facts.filter((f) => f.outcome === "refused").map((f) => f.key));
  for (const folded of foldAfter.facts) {
    if (folded.outcome !== "refused" || refusedBefore.has(folded.key)) continue;
    const source = folded.fact.sources[0] ?? cause;
    effects.push({
      id: `${source}:transition-refused:${subjectKey(next)}`,
      type: "transition-refused",
      cause: source,
      from: folded.before,
      to: folded.fact.status,
      reason: folded.reason ?? "refused",
      ...(folded.code === undefined ? {} : { code: folded.code }),
      occurredAt: folded.fact.occurredAt,
    });
  }
  const statusReturn = decideReturn(next, foldAfter, machine.creation);
  if (statusReturn !== undefined) {
    next.returned = unionSorted(next.returned, [statusReturn.key]);
    effects.push(statusReturn.effect);
  }
  if (options.recordEffects && effects.length > 0) {
    const known = new Set(next.pending.map((e) => e.id));
    next.pending = [...next.pending, ...effects.filter((e) => !known.has(e.id))];
  }
  return { state: next, changed: !sameEntity(before, next) || current === undefined };
}

/**
 * The status return rule: the originator of a referral or task hears of every change of its current status
 * exactly once — unless it already has it, because the message that reported the status was addressed to it
 * (a hospital's status update routed to the practice IS the return) or came from it (a practice cancelling its
 * own referral). Only the current status is returned: when facts arrive late, intermediate states the
 * originator never saw as current are not sent after the fact. The creating status (`sent`) is never returned.
 */
function decideReturn(
  state: EntityState,
  fold: FoldResult,
  creationStatus: BusinessStatus | undefined,
): { key: string; effect: PendingEffect } | undefined {
  const current = fold.current;
  const originator = state.originator;
  // An appointment's statuses reach the originator through the referral or task it was booked for.
  if (!state.matched || state.type === "appointment") return undefined;
  if (current === undefined || current.status === creationStatus) return undefined;
  const key = factKey(current);
  if (state.returned.includes(key) || current.knownBy.includes(originator)) return undefined;
  const effect: PendingEffect = {
    id: `return:${subjectKey(state)}:${key}`,
    type: "status-return",
    cause: current.sources[0] ?? "",
    originator,
    from: fold.facts.find((f) => f.key === key)?.before ?? null,
    status: current.status,
    occurredAt: current.occurredAt,
  };
  if (state.originatorParty !== undefined) effect.originatorParty = state.originatorParty;
  if (current.appointment !== undefined) effect.appointment = current.appointment;
  return { key, effect };
}

function mergeCreation(next: EntityState, creation: NonNullable<EntityUpdate["creation"]>): void {
  // Only the originator creates its own entity: another endpoint's id never becomes this one's.
  if (creation.endpoint !== next.originator) return;
  next.matched = true;
  if (creation.party !== undefined && next.originatorParty === undefined) next.originatorParty = creation.party;
  next.counterparts = unionSorted(next.counterparts, creation.counterparts);
}

/** Whether a fact may be added: a known one always merges; new ones within their bound (MAX_*_FACTS). */
function hasRoomFor(state: EntityState, fact: StatusFact): boolean {
  if (hasFact(state.facts, fact)) return true;
  const authority = factAuthority(state);
  if (state.matched && authority(fact) !== undefined) {
    return state.facts.filter((f) => authority(f) !== undefined).length < MAX_STRANGER_FACTS;
  }
  return state.facts.filter((f) => !state.matched || authority(f) === undefined).length < MAX_FACTS;
}

/** The parties the status-authority rule checks facts against (none while unmatched). */
export function entityParties(state: EntityState): EntityParties {
  return state.matched
    ? { originator: state.originator, counterparts: effectiveCounterparts(state) }
    : { counterparts: [] };
}

/**
 * The endpoints it was sent to, and those a party legitimately forwarded it to (a forward by an endpoint that is
 * itself no party gives nobody a part).
 */
export function effectiveCounterparts(state: Pick<EntityState, "originator" | "counterparts" | "forwards">): string[] {
  const parties = new Set([state.originator, ...state.counterparts]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const forward of state.forwards ?? []) {
      if (!parties.has(forward.by)) continue;
      for (const to of forward.to) {
        if (!parties.has(to)) {
          parties.add(to);
          grew = true;
        }
      }
    }
  }
  parties.delete(state.originator);
  return [...parties].sort();
}

function mergeForward(
  forwards: readonly { by: string; to: string[] }[],
  forward: { by: string; to: string[] },
): { by: string; to: string[] }[] {
  const existing = forwards.find((f) => f.by === forward.by);
  const merged = { by: forward.by, to: unionSorted(existing?.to ?? [], forward.to) };
  return [...forwards.filter((f) => f.by !== forward.by), merged].sort((a, b) => (a.by < b.by ? -1 : 1));
}

/** The rule of status-authority.ts, applied to every fact of this entity. */
function factAuthority(state: EntityState): FactAuthority {
  const parties = entityParties(state);
  return (fact) => {
    const verdict = anyMayState(state.type, parties, fact.by, fact.status);
    return verdict.allowed ? undefined : { code: verdict.code, reason: verdict.reason };
  };
}

function unmatchedEffect(state: EntityState, fact: StatusFact): PendingEffect {
  const cause = fact.sources[0] ?? "";
  return {
    id: `${cause}:unmatched-status:${subjectKey(state)}:${factKey(fact)}`,
    type: "unmatched-status",
    cause,
    status: fact.status,
    reportedBy: fact.by[0] ?? "",
    occurredAt: fact.occurredAt,
  };
}

/** The entity's identity as one string, for effect ids (type, originator, id). */
export function subjectKey(subject: SubjectRef): string {
  return `${subject.type}:${subject.originator}:${subject.id}`;
}

function hasFact(facts: readonly StatusFact[], fact: StatusFact): boolean {
  const key = factKey(fact);
  return facts.some((f) => factKey(f) === key);
}

function sameEntity(a: EntityState, b: EntityState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Removes effects that have been carried out. */
export function clearEffects(state: EntityState, done: readonly string[]): EntityState {
  const doneSet = new Set(done);
  return { ...state, pending: state.pending.filter((e) => !doneSet.has(e.id)) };
}

export interface EntityView {
  status: BusinessStatus | null;
  since: number | undefined;
  sinceKey: string | undefined;
  stale: boolean;
}

/** The current status of an entity, from its facts. */
export function entityView(state: EntityState): EntityView {
  const fold = foldFacts(machineFor(state.type), state.facts, factAuthority(state));
  const sinceKey = fold.current === undefined ? undefined : factKey(fold.current);
  return {
    status: fold.status,
    since: fold.current?.occurredAt,
    sinceKey,
    stale: sinceKey !== undefined && state.staleMarks.includes(sinceKey),
  };
}

/** The API shape of an entity (`GET /v1/referrals/:originator/:id`). */
export function toBusinessEntity(state: EntityState): BusinessEntity {
  const fold = foldFacts(machineFor(state.type), state.facts, factAuthority(state));
  const view = entityView(state);
  const entity: BusinessEntity = {
    type: state.type,
    id: state.id,
    originator: state.originator,
    status: fold.status,
    counterparts: state.matched ? effectiveCounterparts(state) : state.counterparts,
    stale: view.stale,
    appointments: state.appointments,
    history: fold.facts.map((f) => ({
      status: f.fact.status,
      occurredAt: new Date(f.fact.occurredAt).toISOString(),
      sources: f.fact.sources,
      outcome: f.outcome,
      ...(f.reason === undefined ? {} : { reason: f.reason }),
      ...(f.code === undefined ? {} : { code: f.code }),
      ...historyTime(f.fact),
    })),
  };
  if (view.since !== undefined) entity.since = new Date(view.since).toISOString();
  if (!state.matched) {
    entity.unmatched = true;
    entity.reportedAmong = unionSorted(
      [],
      state.facts.flatMap((f) => [...f.by, ...f.knownBy]),
    );
  }
  if (state.basedOn !== undefined) entity.basedOn = state.basedOn;
  if (fold.appointment !== undefined) entity.appointment = fold.appointment;
  if (fold.plannedWindow !== undefined) entity.plannedWindow = fold.plannedWindow;
  return entity;
}

/** A fact's time as the API names it: a `planned` fact states an expected window, any other a booked time. */
function historyTime(fact: StatusFact): Pick<BusinessHistoryEntry, "appointment" | "plannedWindow"> {
  if (fact.appointment === undefined) return {};
  return fact.status === "planned" ? { plannedWindow: fact.appointment } : { appointment: fact.appointment };
}

/** Appointment statuses after which an appointment no longer holds a time. */
const APPOINTMENT_GONE: readonly BusinessStatus[] = ["cancelled", "deleted", "no-show"];

/**
 * A referral or task with its appointments: each with its own status and time, and as the entity's appointment
 * time the latest one still standing (a cancelled appointment is not the booked time). Without appointment
 * records (unknown to the hub), the entity's own last reported time stands.
 */
export function withAppointments(entity: BusinessEntity, appointments: readonly EntityState[]): BusinessEntity {
  if (entity.type === "appointment" || appointments.length === 0) return entity;
  const states = appointments.map((state) => {
    const view = toBusinessEntity(state);
    return {
      id: state.id,
      status: view.status,
      ...(view.appointment === undefined ? {} : { appointment: view.appointment }),
    };
  });
  const standing = states
    .filter((a) => a.appointment !== undefined && a.status !== null && !APPOINTMENT_GONE.includes(a.status))
    .sort((a, b) => Date.parse(a.appointment?.start ?? "") - Date.parse(b.appointment?.start ?? ""));
  const { appointment: _reported, ...rest } = entity;
  const latest = standing.at(-1)?.appointment;
  return { ...rest, appointmentStates: states, ...(latest === undefined ? {} : { appointment: latest }) };
}
