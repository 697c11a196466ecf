import type {
  AcknowledgementCode,
  LifecycleEventType,
  MessageKind,
  MessageLifecycle,
  MessageSummary,
  ReceiverOutcome,
} from "@carehub/schemas";
import { hubIdOfMember, indexMember } from "./index-member.ts";
import {
  type Hop,
  type MessageState,
  messageOverdue,
  overallStatus,
  type ReceiverState,
  receiverOverdue,
  receiverStatus,
} from "./message-state.ts";

/*
 * The stored form of a message record: one JSON string per message under short field names, times as
 * milliseconds relative to the first time seen, event ids left out when they follow the contract pattern
 * `<hubId>:<type>[:<endpoint>][:<attempt>]`. A typical delivered-and-acknowledged message takes 300–400
 * bytes. The field names are part of the stored format: renaming one needs a rebuild.
 *
 * Since docs/decisions/0081-compact-message-record.md the record also leaves out what a code table or a shorter
 * spelling says as well: the kind and the usual content types as numbers (`KIND_CODES`, `CONTENT_TYPE_CODES`:
 * codes are never reused or renumbered, only added), a UUID message id as 22 base64url characters (field `mi`,
 * the index members' form), a W3C trace id as 22 (field `tb`), no trailing empty slots in a receiver's entry
 * and no contract event id at the end of a hop. The decoder reads both forms, so records written before it
 * read as they are until they are next written (or `carehub rebuild` rewrites them).
 *
 * Since docs/decisions/0119-record-event-ids-by-code.md the event ids the stages make outside the contract's
 * pattern, which the record can say again from what it holds, are a number too (`EventIdCode`): the dispatcher's
 * `delivered` (no attempt) and the router's relayed `acknowledged` (the acknowledgement's hub id last, which the
 * receiver's entry holds); and that hub id in the receiver's entry is the index members' 22 characters.
 */

/** Kind → its stored code. The compiler asks for a code for every new kind; a code is never reused. */
const KIND_CODES: Record<MessageKind, number> = {
  "homecare-observation": 1,
  "lab-result": 2,
  "lab-requisition": 3,
  referral: 4,
  "task-requisition": 5,
  notification: 6,
  "status-update": 7,
  "care-communication": 8,
  "hospital-notification": 9,
  acknowledgement: 10,
  empty: 11,
  letter: 12,
};
// Maps, not the objects: a content type is the sender's header, and `"constructor"` must not find a code.
const CODES_BY_KIND = new Map(Object.entries(KIND_CODES));
const KINDS_BY_CODE = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as MessageKind]));

/** The content types most messages have → a stored code; any other is stored as it is. */
const CONTENT_TYPE_CODES: Record<string, number> = {
  "application/fhir+json": 1,
  "application/fhir+xml": 2,
  "application/xml": 3,
};
const CODES_BY_CONTENT_TYPE = new Map(Object.entries(CONTENT_TYPE_CODES));
const CONTENT_TYPES_BY_CODE = new Map(Object.entries(CONTENT_TYPE_CODES).map(([type, code]) => [code, type]));

const TRACE_ID = /^[0-9a-f]{32}$/;

const TYPE_CODES: Record<LifecycleEventType, string> = {
  received: "rc",
  rejected: "rj",
  duplicate: "du",
  routed: "ro",
  translated: "tl",
  delivered: "dl",
  "delivery-failed": "df",
  "dead-lettered": "dd",
  acknowledged: "ak",
  "ack-overdue": "ao",
  "status-changed": "sc",
  "transition-refused": "tr",
  "unmatched-status": "um",
  stale: "st",
  replayed: "rp",
};
const TYPES_BY_CODE = new Map(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as LifecycleEventType]));

/**
 * How an event id is kept, when not as itself (`:<rest>` after the record's hub id, or whole): a number naming the
 * rule that makes it again from the record. A code is never reused or renumbered, only added.
 */
const EventIdCode = {
  /** The contract's `<hubId>:<type>[:<endpoint>][:<attempt>]` (0081). */
  contract: 0,
  /** The contract's without the attempt, for a hop that has one: the dispatcher's `delivered`, one per receiver. */
  withoutAttempt: 1,
  /** The contract's, then `:<the receiver's acknowledgement's hub id>`: the router's relayed `acknowledged`. */
  withAckHubId: 2,
} as const;
type PackedEventId = string | (typeof EventIdCode)[keyof typeof EventIdCode];

type Packed = Record<string, unknown>;
type PackedHop = [string, number, PackedEventId?, ...(string | number | null)[]];
type PackedAck = [number, AcknowledgementCode, PackedEventId, string?];
type PackedReceiver = [
  number,
  number,
  (number | null)?,
  (PackedAck | null)?,
  (number | null)?,
  ([number, string, string, PackedEventId] | null)?,
  ([number, string, string] | null)?,
  string?,
];

export function encodeMessage(state: MessageState): string {
  const base = state.firstSeen;
  const p: Packed = { f: base };
  if (state.receivedAt !== undefined) p.t = state.receivedAt - base;
  if (state.messageId !== undefined) p.mi = indexMember(state.messageId);
  if (state.kind !== undefined) p.k = CODES_BY_KIND.get(state.kind) ?? state.kind;
  put(p, "s", state.sender);
  if (state.traceId !== undefined && TRACE_ID.test(state.traceId)) {
    p.tb = Buffer.from(state.traceId, "hex").toString("base64url");
  } else put(p, "tr", state.traceId);
  if (state.contentType !== undefined) p.ct = CODES_BY_CONTENT_TYPE.get(state.contentType) ?? state.contentType;
  put(p, "z", state.size);
  const receivers: Record<string, PackedReceiver> = {};
  // Sorted, so the same record encodes to the same bytes whatever order its receivers appeared in.
  for (const endpoint of Object.keys(state.receivers).sort()) {
    receivers[endpoint] = packReceiver(state.hubId, endpoint, state.receivers[endpoint] as ReceiverState, base);
  }
  if (Object.keys(receivers).length > 0) p.r = receivers;
  if (state.rejection !== undefined) p.rj = [state.rejection.stage, state.rejection.issues, state.rejection.at - base];
  if (state.deadLetter !== undefined) {
    const d = state.deadLetter;
    p.dx = [d.stage, d.code, d.message, d.at - base];
  }
  put(p, "du", state.duplicateOf);
  put(p, "rp", state.replayOf);
  if (state.replayedBy.length > 0) p.rb = state.replayedBy;
  put(p, "tf", state.translatedFrom);
  if (state.translatedTo !== undefined && state.translatedTo.length > 0) p.tt = state.translatedTo;
  const links: Packed = {};
  put(links, "i", state.links.inReplyTo);
  put(links, "c", state.links.corrects);
  put(links, "x", state.links.retracts);
  if (Object.keys(links).length > 0) p.l = links;
  if (state.subject !== undefined) p.sj = [state.subject.type, state.subject.id, state.subject.originator];
  put(p, "ph", state.patientHash);
  if (state.ackNotRequested) p.na = 1;
  p.h = state.hops.map((h) => packHop(state.hubId, h, base, ackHubIdOf(state.receivers, h)));
  if (state.omitted.length > 0) p.om = state.omitted;
  return JSON.stringify(p);
}

/**
 * `state` as decodeMessage gives it back from encodeMessage's text, without the round trip: the same fields
 * (message-codec.property.test.ts holds the codec to that), with the receivers in the sorted order the record
 * stores them in, which is the order the write plan lists their index entries and counters in.
 */
export function asDecoded(state: MessageState): MessageState {
  const endpoints = Object.keys(state.receivers);
  if (endpoints.every((endpoint, i) => i === 0 || (endpoints[i - 1] as string) < endpoint)) return state;
  const receivers: Record<string, ReceiverState> = {};
  for (const endpoint of endpoints.sort()) receivers[endpoint] = state.receivers[endpoint] as ReceiverState;
  return { ...state, receivers };
}

export function decodeMessage(hubId: string, text: string): MessageState {
  const p = JSON.parse(text) as Packed;
  const base = p.f as number;
  const state: MessageState = {
    hubId,
    firstSeen: base,
    receivers: {},
    replayedBy: (p.rb as string[] | undefined) ?? [],
    links: {},
    hops: [],
    omitted: (p.om as string[] | undefined) ?? [],
  };
  if (typeof p.t === "number") state.receivedAt = base + p.t;
  take(state, "messageId", typeof p.mi === "string" ? hubIdOfMember(p.mi) : p.m);
  take(state, "kind", typeof p.k === "number" ? KINDS_BY_CODE.get(p.k) : p.k);
  take(state, "sender", p.s);
  take(state, "traceId", typeof p.tb === "string" ? Buffer.from(p.tb, "base64url").toString("hex") : p.tr);
  take(state, "contentType", typeof p.ct === "number" ? CONTENT_TYPES_BY_CODE.get(p.ct) : p.ct);
  take(state, "size", p.z as number | undefined);
  for (const [endpoint, r] of Object.entries((p.r as Record<string, PackedReceiver> | undefined) ?? {})) {
    state.receivers[endpoint] = unpackReceiver(hubId, endpoint, r, base);
  }
  // After the receivers: an acknowledgement's hop may name its event id by the receiver's acknowledgement (0119).
  state.hops = ((p.h as PackedHop[] | undefined) ?? []).map((h) => unpackHop(hubId, h, base, state.receivers));
  if (Array.isArray(p.rj)) state.rejection = { stage: p.rj[0], issues: p.rj[1], at: base + p.rj[2] };
  if (Array.isArray(p.dx)) state.deadLetter = { stage: p.dx[0], code: p.dx[1], message: p.dx[2], at: base + p.dx[3] };
  take(state, "duplicateOf", p.du);
  take(state, "replayOf", p.rp);
  take(state, "translatedFrom", p.tf);
  if (Array.isArray(p.tt)) state.translatedTo = p.tt as string[];
  const links = (p.l as Record<string, string> | undefined) ?? {};
  if (links.i !== undefined) state.links.inReplyTo = links.i;
  if (links.c !== undefined) state.links.corrects = links.c;
  if (links.x !== undefined) state.links.retracts = links.x;
  if (Array.isArray(p.sj)) state.subject = { type: p.sj[0], id: p.sj[1], originator: p.sj[2] ?? "" };
  take(state, "patientHash", p.ph);
  if (p.na === 1) state.ackNotRequested = true;
  return state;
}

function packReceiver(hubId: string, endpoint: string, r: ReceiverState, base: number): PackedReceiver {
  const id = (eventId: string, type: LifecycleEventType, attempt?: number) =>
    packEventId(hubId, eventId, type, endpoint, attempt);
  const packed: PackedReceiver = [
    r.routed ? 1 : 0,
    r.attempts,
    r.deliveredAt === undefined ? null : r.deliveredAt - base,
    r.ack === undefined
      ? null
      : packAck(r.ack, base, packEventId(hubId, r.ack.eventId, "acknowledged", endpoint, undefined, r.ack.ackHubId)),
    r.overdueAt === undefined ? null : r.overdueAt - base,
    r.lastError === undefined
      ? null
      : [
          r.lastError.attempt,
          r.lastError.code,
          r.lastError.message,
          id(r.lastError.eventId, "delivery-failed", r.lastError.attempt),
        ],
    r.deadLetter === undefined ? null : [r.deadLetter.at - base, r.deadLetter.code, r.deadLetter.message],
  ];
  if (r.rule !== undefined) packed.push(r.rule);
  else while (packed.length > 2 && packed[packed.length - 1] === null) packed.pop();
  return packed;
}

function packAck(ack: NonNullable<ReceiverState["ack"]>, base: number, eventId: PackedEventId): PackedAck {
  const packed: PackedAck = [ack.at - base, ack.code, eventId];
  // The index members' form (0064): a UUID in 22 characters, any other hub id as itself (escaped if need be).
  if (ack.ackHubId !== undefined) packed.push(indexMember(ack.ackHubId));
  return packed;
}

function unpackReceiver(hubId: string, endpoint: string, p: PackedReceiver, base: number): ReceiverState {
  // Trailing empty slots are left out (0081): a missing one is null.
  const r: ReceiverState = { routed: p[0] === 1, attempts: p[1] };
  if (p[2] != null) r.deliveredAt = base + p[2];
  const ack = p[3];
  if (ack != null) {
    // Written before 0119: the hub id as it was (a UUID's 36 characters are not a member's compact form).
    const ackHubId = ack[3] === undefined ? undefined : hubIdOfMember(ack[3]);
    r.ack = {
      at: base + ack[0],
      code: ack[1],
      eventId: unpackEventId(hubId, ack[2], "acknowledged", endpoint, undefined, ackHubId),
    };
    if (ackHubId !== undefined) r.ack.ackHubId = ackHubId;
  }
  if (p[4] != null) r.overdueAt = base + p[4];
  const error = p[5];
  if (error != null) {
    r.lastError = {
      attempt: error[0],
      code: error[1],
      message: error[2],
      eventId: unpackEventId(hubId, error[3], "delivery-failed", endpoint, error[0]),
    };
  }
  const dead = p[6];
  if (dead != null) r.deadLetter = { at: base + dead[0], code: dead[1], message: dead[2] };
  if (p[7] !== undefined) r.rule = p[7];
  return r;
}

/** The hub id of the acknowledgement the receiver's entry holds, for an acknowledgement's hop (0119). */
function ackHubIdOf(receivers: MessageState["receivers"], h: Pick<Hop, "type" | "endpoint">): string | undefined {
  if (h.type !== "acknowledged" || h.endpoint === undefined || !Object.hasOwn(receivers, h.endpoint)) return undefined;
  return receivers[h.endpoint]?.ack?.ackHubId;
}

function packHop(hubId: string, h: Hop, base: number, ackHubId: string | undefined): PackedHop {
  const packed: (string | number | null)[] = [
    TYPE_CODES[h.type],
    h.at - base,
    packEventId(hubId, h.eventId, h.type, h.endpoint, h.attempt, ackHubId),
    h.endpoint ?? null,
    h.attempt ?? null,
    h.code ?? null,
    h.detail ?? null,
    h.durationMs ?? null,
  ];
  while (packed.length > 3 && packed[packed.length - 1] === null) packed.pop();
  // A contract event id with nothing after it is left out (0081).
  if (packed.length === 3 && packed[2] === EventIdCode.contract) packed.pop();
  return packed as PackedHop;
}

function unpackHop(hubId: string, p: PackedHop, base: number, receivers: MessageState["receivers"]): Hop {
  const type = TYPES_BY_CODE.get(p[0]);
  if (type === undefined) throw new Error(`unknown hop type code ${p[0]}`);
  const [, at, eventId = 0, endpoint, attempt, code, detail, durationMs] = p;
  const hop: Hop = { type, at: base + at, eventId: "" };
  if (typeof endpoint === "string") hop.endpoint = endpoint;
  if (typeof attempt === "number") hop.attempt = attempt;
  if (typeof code === "string") hop.code = code;
  if (typeof detail === "string") hop.detail = detail;
  if (typeof durationMs === "number") hop.durationMs = durationMs;
  hop.eventId = unpackEventId(hubId, eventId, type, hop.endpoint, hop.attempt, ackHubIdOf(receivers, hop));
  return hop;
}

/** The event id the contract prescribes for this fact: `<hubId>:<type>[:<endpoint>][:<attempt>]`. */
export function contractEventId(hubId: string, type: string, endpoint?: string, attempt?: number): string {
  let id = `${hubId}:${type}`;
  if (endpoint !== undefined) id += `:${endpoint}`;
  if (attempt !== undefined) id += `:${attempt}`;
  return id;
}

function packEventId(
  hubId: string,
  eventId: string,
  type: string,
  endpoint?: string,
  attempt?: number,
  ackHubId?: string,
): PackedEventId {
  const contract = contractEventId(hubId, type, endpoint, attempt);
  if (eventId === contract) return EventIdCode.contract;
  if (attempt !== undefined && eventId === contractEventId(hubId, type, endpoint)) return EventIdCode.withoutAttempt;
  if (ackHubId !== undefined && eventId === `${contract}:${ackHubId}`) return EventIdCode.withAckHubId;
  return eventId.startsWith(`${hubId}:`) ? `:${eventId.slice(hubId.length + 1)}` : eventId;
}

function unpackEventId(
  hubId: string,
  packed: PackedEventId,
  type: string,
  endpoint?: string,
  attempt?: number,
  ackHubId?: string,
): string {
  switch (packed) {
    case EventIdCode.contract:
      return contractEventId(hubId, type, endpoint, attempt);
    case EventIdCode.withoutAttempt:
      return contractEventId(hubId, type, endpoint);
    case EventIdCode.withAckHubId:
      if (ackHubId === undefined) throw new Error(`an ${type} event id names an acknowledgement the record lacks`);
      return `${contractEventId(hubId, type, endpoint, attempt)}:${ackHubId}`;
    default:
      if (typeof packed !== "string") throw new Error(`unknown event id code ${String(packed)}`);
      return packed.startsWith(":") ? `${hubId}${packed}` : packed;
  }
}

function put(target: Packed, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

function take<K extends keyof MessageState>(state: MessageState, key: K, value: unknown): void {
  if (value !== undefined && value !== null) state[key] = value as MessageState[K];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toSummary(state: MessageState): MessageSummary {
  const summary: MessageSummary = {
    hubId: state.hubId,
    receivers: Object.keys(state.receivers).sort(),
    status: overallStatus(state),
    ackOverdue: messageOverdue(state),
    receivedAt: iso(state.receivedAt ?? state.firstSeen),
  };
  if (state.messageId !== undefined) summary.messageId = state.messageId;
  if (state.kind !== undefined) summary.kind = state.kind;
  if (state.sender !== undefined) summary.sender = state.sender;
  return summary;
}

/** The API shape of a message record (`GET /v1/messages/:id`). */
export function toLifecycle(state: MessageState): MessageLifecycle {
  const record: MessageLifecycle = {
    ...toSummary(state),
    perReceiver: Object.keys(state.receivers)
      .sort()
      .map((endpoint) => toOutcome(endpoint, state.receivers[endpoint] as ReceiverState)),
    hops: state.hops.map((h) => ({ ...h, at: iso(h.at) })),
    hopsOmitted: state.omitted.length,
    links: { ...state.links },
  };
  if (state.replayOf !== undefined) record.links.replayOf = state.replayOf;
  if (state.replayedBy.length > 0) record.links.replayedBy = state.replayedBy;
  if (state.duplicateOf !== undefined) record.links.duplicateOf = state.duplicateOf;
  if (state.translatedFrom !== undefined) record.links.translatedFrom = state.translatedFrom;
  if (state.translatedTo !== undefined && state.translatedTo.length > 0) record.links.translatedTo = state.translatedTo;
  if (state.traceId !== undefined) record.traceId = state.traceId;
  if (state.contentType !== undefined) record.contentType = state.contentType;
  if (state.size !== undefined) record.size = state.size;
  if (state.rejection !== undefined) {
    record.rejection = { stage: state.rejection.stage, issues: state.rejection.issues };
  }
  if (state.deadLetter !== undefined) {
    const { stage, code, message } = state.deadLetter;
    record.deadLetter = { stage, code, message };
  }
  if (state.subject !== undefined) record.subject = state.subject;
  return record;
}

function toOutcome(endpoint: string, r: ReceiverState): ReceiverOutcome {
  const outcome: ReceiverOutcome = {
    endpoint,
    status: receiverStatus(r),
    attempts: r.attempts,
    ackOverdue: receiverOverdue(r),
  };
  if (r.deliveredAt !== undefined) outcome.deliveredAt = iso(r.deliveredAt);
  if (r.ack !== undefined) {
    outcome.acknowledgedAt = iso(r.ack.at);
    outcome.ackCode = r.ack.code;
    if (r.ack.ackHubId !== undefined) outcome.ackHubId = r.ack.ackHubId;
  }
  if (r.overdueAt !== undefined) outcome.ackDueAt = iso(r.overdueAt);
  if (r.lastError !== undefined) outcome.lastError = { code: r.lastError.code, message: r.lastError.message };
  if (r.rule !== undefined) outcome.rule = r.rule;
  return outcome;
}
