import type {
  AcknowledgementCode,
  Envelope,
  LifecycleEvent,
  LifecycleEventType,
  MessageKind,
  MessageStatus,
  ValidationIssue,
} from "@carehub/schemas";
import type { SubjectRef } from "./entity-state.ts";

/**
 * The lifecycle record of one message, as the store keeps it. Every field is a merge of facts that does not
 * depend on the order the facts arrive in (first/last by time, maxima, unions), so folding the same events
 * and envelope in any order, any number of times, gives the same record. That is what makes redelivery
 * harmless and a rebuild from the streams identical to the live record.
 */
export interface MessageState {
  hubId: string;
  messageId?: string;
  kind?: MessageKind;
  sender?: string;
  /** Receive time (epoch ms) from the `received` event or the envelope, the earlier when both. */
  receivedAt?: number;
  /** Earliest time of anything folded in; the listing order until the receive time is known. */
  firstSeen: number;
  traceId?: string;
  contentType?: string;
  size?: number;
  receivers: Record<string, ReceiverState>;
  rejection?: { stage: string; issues: ValidationIssue[]; at: number };
  deadLetter?: { stage: string; code: string; message: string; at: number };
  duplicateOf?: string;
  replayOf?: string;
  replayedBy: string[];
  /** The message this letter was translated from (the hub made it for a receiver wanting another format). */
  translatedFrom?: string;
  /** The letters the hub made from this message, by hub id (sorted). */
  translatedTo?: string[];
  links: { inReplyTo?: string; corrects?: string; retracts?: string };
  subject?: SubjectRef;
  /**
   * Set when the sender asked for no acknowledgement (envelope / `routed` event `ackRequested: false`, e.g. an
   * OIOXML letter with `minuspositivkvitt`): no acknowledgement is awaited, so none can be overdue.
   */
  ackNotRequested?: true;
  /** Keyed hash of the patient identifier (never the identifier itself). */
  patientHash?: string;
  hops: Hop[];
  /** Short hashes of the event ids of hops left out to keep the record bounded. */
  omitted: string[];
}

export interface ReceiverState {
  routed: boolean;
  rule?: string;
  attempts: number;
  /** First successful delivery (epoch ms). */
  deliveredAt?: number;
  ack?: { at: number; code: AcknowledgementCode; ackHubId?: string; eventId: string };
  /** Set by the ack-overdue event: when the acknowledgement was due. */
  overdueAt?: number;
  lastError?: { attempt: number; code: string; message: string; eventId: string };
  deadLetter?: { at: number; code: string; message: string };
}

export interface Hop {
  type: LifecycleEventType;
  at: number;
  eventId: string;
  endpoint?: string;
  attempt?: number;
  code?: string;
  detail?: string;
  durationMs?: number;
}

/** Hops kept from the start and the end of a long history; the middle (retry after retry) is left out. */
export const HOPS_KEPT_HEAD = 12;
export const HOPS_KEPT_TAIL = 36;
const MAX_ISSUES = 20;
const MAX_DETAIL = 300;

export function emptyMessage(hubId: string, at: number): MessageState {
  return { hubId, firstSeen: at, receivers: {}, replayedBy: [], links: {}, hops: [], omitted: [] };
}

/** Whether the record already holds this event (as a hop, or as a hop left out). */
export function hasEvent(state: MessageState, eventId: string): boolean {
  if (state.hops.some((h) => h.eventId === eventId)) return true;
  return state.omitted.length > 0 && state.omitted.includes(shortHash(eventId));
}

/** Folds one lifecycle event into the record of the message it is about (`event.hubId`). */
export function applyEvent(current: MessageState | undefined, event: LifecycleEvent): MessageState {
  const at = Date.parse(event.at);
  const state = clone(current ?? emptyMessage(event.hubId, at));
  if (hasEvent(state, event.eventId)) return state;
  state.firstSeen = Math.min(state.firstSeen, at);
  setOnce(state, "messageId", event.messageId);
  setOnce(state, "sender", event.sourceEndpoint);
  setOnce(state, "kind", event.kind);
  setOnce(state, "traceId", event.traceId);
  const hop: Hop = { type: event.type, at, eventId: event.eventId };
  switch (event.type) {
    case "received":
      state.receivedAt = Math.min(state.receivedAt ?? at, at);
      setOnce(state, "contentType", event.contentType);
      setOnce(state, "size", event.size);
      break;
    case "rejected":
      // Rejected twice (a stage retried)? The earliest rejection is the one that stands.
      if (state.rejection === undefined || at < state.rejection.at) {
        state.rejection = { stage: event.stage, issues: event.issues.slice(0, MAX_ISSUES), at };
      }
      hop.code = event.issues[0]?.code;
      hop.detail = clip(event.issues[0]?.message);
      break;
    case "duplicate":
      if (event.originalHubId !== state.hubId) state.duplicateOf ??= event.originalHubId;
      break;
    case "routed":
      if (event.ackRequested === false) state.ackNotRequested = true;
      for (const endpoint of event.receivers) receiver(state, endpoint).routed = true;
      for (const copy of event.ruleCopies) {
        const r = receiver(state, copy.endpoint);
        r.routed = true;
        r.rule ??= copy.rule;
      }
      if (event.links?.inReplyTo !== undefined) state.links.inReplyTo = event.links.inReplyTo;
      if (event.links?.corrects !== undefined) state.links.corrects = event.links.corrects;
      if (event.links?.retracts !== undefined) state.links.retracts = event.links.retracts;
      setOnce(state, "translatedFrom", event.translatedFrom);
      if (event.translatedFrom !== undefined) hop.detail = `translated from ${event.translatedFrom}`;
      break;
    case "translated":
      state.translatedTo = [...new Set([...(state.translatedTo ?? []), event.letterHubId])].sort();
      hop.endpoint = event.endpoint;
      hop.code = event.letterType;
      hop.detail = `letter ${event.letterId} (${event.letterHubId})`;
      break;
    case "delivered": {
      const r = receiver(state, event.endpoint);
      r.attempts = Math.max(r.attempts, event.attempt);
      r.deliveredAt = Math.min(r.deliveredAt ?? at, at);
      hop.endpoint = event.endpoint;
      hop.attempt = event.attempt;
      hop.durationMs = event.durationMs;
      break;
    }
    case "delivery-failed": {
      const r = receiver(state, event.endpoint);
      r.attempts = Math.max(r.attempts, event.attempt);
      const candidate = {
        attempt: event.attempt,
        code: event.error.code,
        message: clip(event.error.message) ?? "",
        eventId: event.eventId,
      };
      if (r.lastError === undefined || laterError(candidate, r.lastError)) r.lastError = candidate;
      Object.assign(hop, { endpoint: event.endpoint, attempt: event.attempt, code: event.error.code });
      hop.detail = clip(event.error.message);
      break;
    }
    case "dead-lettered": {
      const reason = { code: event.reason.code, message: clip(event.reason.message) ?? "" };
      if (event.endpoint !== undefined) {
        const r = receiver(state, event.endpoint);
        r.attempts = Math.max(r.attempts, event.attempts);
        if (r.deadLetter === undefined || at < r.deadLetter.at) r.deadLetter = { at, ...reason };
        hop.endpoint = event.endpoint;
      } else if (state.deadLetter === undefined || at < state.deadLetter.at) {
        state.deadLetter = { stage: event.stage, at, ...reason };
      }
      hop.code = event.reason.code;
      hop.detail = reason.message;
      break;
    }
    case "acknowledged": {
      const r = receiver(state, event.endpoint);
      const ack = { at, code: event.code, eventId: event.eventId, ...optional("ackHubId", event.ackHubId) };
      // The latest acknowledgement counts (a transient error may be followed by ok); ties by event id.
      if (r.ack === undefined || at > r.ack.at || (at === r.ack.at && event.eventId > r.ack.eventId)) r.ack = ack;
      hop.endpoint = event.endpoint;
      hop.code = event.code;
      break;
    }
    case "ack-overdue": {
      const r = receiver(state, event.endpoint);
      const due = Date.parse(event.dueAt);
      r.overdueAt = Math.min(r.overdueAt ?? due, due);
      hop.endpoint = event.endpoint;
      break;
    }
    case "status-changed":
      hop.code = event.to;
      hop.detail = `${event.subject.type} ${event.subject.id}: ${event.from ?? "(none)"} → ${event.to}`;
      break;
    case "transition-refused":
      hop.code = event.to;
      hop.detail = clip(`${event.subject.type} ${event.subject.id}: ${event.reason}`);
      break;
    case "unmatched-status":
      hop.code = event.status;
      hop.detail = `${event.subject.type} ${event.subject.id}: no creating message seen`;
      break;
    case "stale":
      hop.code = event.status;
      hop.detail = `${event.subject.type} ${event.subject.id}: ${event.status} since ${event.since}`;
      break;
    case "replayed":
      state.replayOf ??= event.originalHubId;
      hop.detail = clip(event.reason);
      break;
  }
  insertHop(state, stripUndefined(hop));
  return state;
}

/** A replay adds a link on the original too (when the original is still on record). */
export function applyReplayLink(current: MessageState | undefined, replayHubId: string): MessageState | undefined {
  if (current === undefined) return undefined;
  const state = clone(current);
  if (!state.replayedBy.includes(replayHubId)) state.replayedBy = [...state.replayedBy, replayHubId].sort();
  return state;
}

export interface EnvelopeFacts {
  subject?: SubjectRef;
  patientHash?: string;
}

/** Folds what the canonical envelope adds: the sender's message id, kind, subject, patient hash, links. */
export function applyEnvelope(
  current: MessageState | undefined,
  envelope: Envelope,
  facts: EnvelopeFacts,
): MessageState {
  const at = Date.parse(envelope.receivedAt);
  const state = clone(current ?? emptyMessage(envelope.hubId, at));
  state.firstSeen = Math.min(state.firstSeen, at);
  state.receivedAt = Math.min(state.receivedAt ?? at, at);
  setOnce(state, "messageId", envelope.messageId);
  setOnce(state, "kind", envelope.kind);
  setOnce(state, "sender", envelope.sourceEndpoint);
  setOnce(state, "contentType", envelope.payload.contentType);
  setOnce(state, "size", envelope.payload.size);
  setOnce(state, "subject", facts.subject);
  setOnce(state, "patientHash", facts.patientHash);
  setOnce(state, "replayOf", envelope.replayOf);
  if (!envelope.ackRequested) state.ackNotRequested = true;
  // Links the router resolved to hub ids win; the message's own references fill the gaps.
  state.links.inReplyTo ??= envelope.links.inReplyTo?.messageId;
  state.links.corrects ??= envelope.links.corrects?.messageId;
  state.links.retracts ??= envelope.links.retracts?.messageId;
  // The timeline's `received` entry, exactly as intake's `received` event makes it (its contract id, the receive
  // time): a message that reaches PIPELINE needs no `received` event, and when one comes too it is folded once.
  const receivedId = `${envelope.hubId}:received`;
  if (!hasEvent(state, receivedId)) insertHop(state, { type: "received", at, eventId: receivedId });
  return state;
}

const PROGRESS: Record<"received" | "routed" | "delivered" | "acknowledged", number> = {
  received: 0,
  routed: 1,
  delivered: 2,
  acknowledged: 3,
};

/**
 * Whether the receivers' acknowledgements are awaited (and can become overdue): not for an acknowledgement
 * (MedCom KR2: acknowledgements are never acknowledged), nor for a message whose sender asked for none.
 */
export function awaitsAcknowledgement(state: MessageState): boolean {
  return state.kind !== "acknowledgement" && state.ackNotRequested !== true;
}

export function receiverStatus(r: ReceiverState): MessageStatus {
  if (r.ack !== undefined) return r.ack.code === "ok" ? "acknowledged" : "negatively-acknowledged";
  if (r.deliveredAt !== undefined) return "delivered";
  if (r.deadLetter !== undefined) return "dead-lettered";
  return r.routed ? "routed" : "received";
}

/** Acknowledgement late and still missing. */
export function receiverOverdue(r: ReceiverState): boolean {
  return r.overdueAt !== undefined && r.ack === undefined;
}

/**
 * The overall status: a problem anywhere shows first (rejected, dead-lettered, negatively acknowledged),
 * otherwise the least advanced receiver (a message is acknowledged when every receiver acknowledged it).
 */
export function overallStatus(state: MessageState): MessageStatus {
  if (state.rejection !== undefined) return "rejected";
  if (state.duplicateOf !== undefined) return "duplicate";
  if (state.deadLetter !== undefined) return "dead-lettered";
  const statuses = Object.values(state.receivers).map(receiverStatus);
  if (statuses.length === 0) return "received";
  if (statuses.includes("dead-lettered")) return "dead-lettered";
  if (statuses.includes("negatively-acknowledged")) return "negatively-acknowledged";
  let least: keyof typeof PROGRESS = "acknowledged";
  for (const status of statuses) {
    const s = status as keyof typeof PROGRESS;
    if (PROGRESS[s] < PROGRESS[least]) least = s;
  }
  return least;
}

export function messageOverdue(state: MessageState): boolean {
  return Object.values(state.receivers).some(receiverOverdue);
}

/** The time the message is listed by. */
export function listingTime(state: MessageState): number {
  return state.receivedAt ?? state.firstSeen;
}

function receiver(state: MessageState, endpoint: string): ReceiverState {
  let r = state.receivers[endpoint];
  if (r === undefined) {
    r = { routed: false, attempts: 0 };
    state.receivers[endpoint] = r;
  }
  return r;
}

function laterError(a: { attempt: number; eventId: string }, b: { attempt: number; eventId: string }): boolean {
  return a.attempt > b.attempt || (a.attempt === b.attempt && a.eventId > b.eventId);
}

const HOP_ORDER: Record<LifecycleEventType, number> = {
  received: 0,
  rejected: 1,
  duplicate: 2,
  replayed: 3,
  routed: 4,
  translated: 4,
  "delivery-failed": 5,
  "dead-lettered": 6,
  delivered: 7,
  acknowledged: 8,
  "ack-overdue": 9,
  "status-changed": 10,
  "transition-refused": 11,
  "unmatched-status": 11,
  stale: 12,
};

export function compareHops(a: Hop, b: Hop): number {
  if (a.at !== b.at) return a.at - b.at;
  const order = HOP_ORDER[a.type] - HOP_ORDER[b.type];
  if (order !== 0) return order;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Inserts in time order and keeps the first and last hops of a long history. Dropping from the middle of
 * the sorted list gives the same result whatever the arrival order: an element in the middle stays in the
 * middle when more arrive.
 */
function insertHop(state: MessageState, hop: Hop): void {
  const hops = [...state.hops, hop].sort(compareHops);
  if (hops.length <= HOPS_KEPT_HEAD + HOPS_KEPT_TAIL) {
    state.hops = hops;
    return;
  }
  const dropped = hops.slice(HOPS_KEPT_HEAD, hops.length - HOPS_KEPT_TAIL);
  state.hops = [...hops.slice(0, HOPS_KEPT_HEAD), ...hops.slice(hops.length - HOPS_KEPT_TAIL)];
  state.omitted = [...new Set([...state.omitted, ...dropped.map((h) => shortHash(h.eventId))])].sort();
}

/** FNV-1a, 32 bits, base 36: enough to recognise a repeat of a left-out event. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

function setOnce<K extends keyof MessageState>(state: MessageState, key: K, value: MessageState[K] | undefined): void {
  if (value !== undefined && state[key] === undefined) state[key] = value;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * A copy the fold may change without touching `state`: containers are copied one level down; the leaf
 * objects inside them (an acknowledgement, an error, a hop) are only ever replaced, never changed.
 */
function clone(state: MessageState): MessageState {
  const receivers: Record<string, ReceiverState> = {};
  for (const [endpoint, r] of Object.entries(state.receivers)) receivers[endpoint] = { ...r };
  return {
    ...state,
    receivers,
    replayedBy: [...state.replayedBy],
    links: { ...state.links },
    hops: [...state.hops],
    omitted: [...state.omitted],
  };
}
