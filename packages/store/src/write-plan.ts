import type { BusinessStatus, MessageKind } from "@carehub/schemas";
import { type EntityState, entityView } from "./entity-state.ts";
import { indexMember } from "./index-member.ts";
import { type StoreKeys, timerMember } from "./keys.ts";
import {
  awaitsAcknowledgement,
  listingTime,
  type MessageState,
  messageOverdue,
  overallStatus,
  receiverOverdue,
  receiverStatus,
} from "./message-state.ts";
import type { SubjectType } from "./state-machines.ts";

/** One secondary write that goes with a record write, in the same atomic step. */
export type WriteOp =
  | { op: "zadd"; key: string; score: number; member: string }
  | { op: "zrem"; key: string; member: string }
  /** A position added to a bucketed message index (`key`: its logical name; keys.ts, bucketed-index.ts). */
  | { op: "bzadd"; key: string; score: number; member: string }
  /** A position removed from a bucketed message index: its score names its bucket. */
  | { op: "bzrem"; key: string; score: number; member: string }
  | { op: "hincr"; key: string; field: string; by: number }
  /** Sets the key's absolute expiry (epoch ms); written after the other ops of the same record. */
  | { op: "pexpireat"; key: string; at: number };

/** How long each business status may stand before a `stale` event, per subject type (milliseconds). */
export type StaleLimits = Partial<Record<SubjectType, Partial<Record<BusinessStatus, number>>>>;

export interface PlanContext {
  keys: StoreKeys;
  /**
   * The receiver's acknowledgement timeout for a message of the kind (registry `ackTimeoutSeconds`, and
   * `kinds.<kind>.acknowledgement`), in ms; undefined: no timer.
   */
  ackTimeoutMs: (endpoint: string, kind: MessageKind | undefined) => number | undefined;
  staleLimits: StaleLimits;
}

/**
 * Index memberships of a message record (each scored by the listing time). No index of every message: the status
 * indexes together are one (docs/decisions/0080-no-index-of-all-messages.md). All but the patient's are bucketed
 * (docs/decisions/0097-bucketed-message-indexes.md).
 */
export function messageIndexKeys(state: MessageState, keys: StoreKeys): string[] {
  const out = [keys.byStatus(overallStatus(state))];
  if (state.sender !== undefined) out.push(keys.bySender(state.sender));
  if (state.kind !== undefined) out.push(keys.byKind(state.kind));
  for (const endpoint of Object.keys(state.receivers)) {
    out.push(keys.byReceiver(endpoint));
    if (state.sender !== undefined) out.push(keys.bySenderReceiver(state.sender, endpoint));
  }
  if (messageOverdue(state)) out.push(keys.byStatus("ack-overdue"));
  if (state.patientHash !== undefined) out.push(keys.byPatient(state.patientHash));
  return out;
}

/**
 * Counter fields of `<ns>:idx:stats` a message contributes one to: `f|<sender>|<kind>|<overall status>`
 * and `t|<receiver>|<kind>|<status towards that receiver>`, plus `…|ack-overdue` while an acknowledgement
 * is late (a subset of `delivered`).
 */
export function messageStatFields(state: MessageState): string[] {
  const kind = state.kind ?? "-";
  const out: string[] = [];
  if (state.sender !== undefined) out.push(`f|${state.sender}|${kind}|${overallStatus(state)}`);
  for (const [endpoint, r] of Object.entries(state.receivers)) {
    out.push(`t|${endpoint}|${kind}|${receiverStatus(r)}`);
    if (receiverOverdue(r)) out.push(`t|${endpoint}|${kind}|ack-overdue`);
  }
  return out;
}

/** Ack timers a message needs: every delivery not yet acknowledged nor flagged overdue, if one is awaited. */
export function messageTimers(state: MessageState, ctx: PlanContext): Map<string, number> {
  const timers = new Map<string, number>();
  if (!awaitsAcknowledgement(state)) return timers;
  for (const [endpoint, r] of Object.entries(state.receivers)) {
    if (r.deliveredAt === undefined || r.ack !== undefined || r.overdueAt !== undefined) continue;
    const timeout = ctx.ackTimeoutMs(endpoint, state.kind);
    if (timeout === undefined) continue;
    timers.set(timerMember({ type: "ack", hubId: state.hubId, endpoint }), r.deliveredAt + timeout);
  }
  return timers;
}

/** Each side's counter fields (messageStatFields), when the caller has them: the day counters use them too. */
export interface StatFields {
  before: readonly string[];
  after: readonly string[];
}

/** Both sides' counter fields, worked out once for the overall counters and the day's (a record write needs both). */
export function statFieldsOf(before: MessageState | undefined, after: MessageState | undefined): StatFields {
  return {
    before: before === undefined ? [] : messageStatFields(before),
    after: after === undefined ? [] : messageStatFields(after),
  };
}

/** The writes that move the indexes, counters and timers from `before` to `after`. */
export function planMessageWrite(
  before: MessageState | undefined,
  after: MessageState | undefined,
  ctx: PlanContext,
  fields: StatFields = statFieldsOf(before, after),
): WriteOp[] {
  const ops: WriteOp[] = [];
  const member = indexMember((after ?? before)?.hubId ?? "");
  const oldKeys = before === undefined ? [] : messageIndexKeys(before, ctx.keys);
  const newKeys = after === undefined ? [] : messageIndexKeys(after, ctx.keys);
  const oldScore = before === undefined ? 0 : listingTime(before);
  const scoreChanged = before !== undefined && after !== undefined && oldScore !== listingTime(after);
  const patientPrefix = ctx.keys.byPatient("");
  for (const key of oldKeys) {
    if (key.startsWith(patientPrefix)) {
      if (!newKeys.includes(key)) ops.push({ op: "zrem", key, member });
    } else if (scoreChanged || !newKeys.includes(key)) {
      // A bucket is found by the score: a position that moves leaves its bucket first.
      ops.push({ op: "bzrem", key, score: oldScore, member });
    }
  }
  // A record written before 0080 also has an entry in the former index of every message: it leaves with the record.
  if (before !== undefined && after === undefined) ops.push({ op: "zrem", key: ctx.keys.allBefore0080, member });
  if (after !== undefined) {
    const score = listingTime(after);
    for (const key of newKeys) {
      if (!scoreChanged && oldKeys.includes(key)) continue;
      ops.push({ op: key.startsWith(patientPrefix) ? "zadd" : "bzadd", key, score, member });
    }
  }
  ops.push(...counterDiff(fields.before, fields.after, ctx.keys.stats));
  const oldTimers = before === undefined ? new Map<string, number>() : messageTimers(before, ctx);
  const newTimers = after === undefined ? new Map<string, number>() : messageTimers(after, ctx);
  ops.push(...timerDiff(oldTimers, newTimers, ctx.keys.timers));
  return ops;
}

/** The stale timer an entity needs: its current status has a limit and was not flagged stale yet. */
export function entityTimers(state: EntityState, ctx: PlanContext): Map<string, number> {
  const timers = new Map<string, number>();
  const view = entityView(state);
  if (view.status === null || view.since === undefined || view.stale) return timers;
  const limit = ctx.staleLimits[state.type]?.[view.status];
  if (limit === undefined) return timers;
  timers.set(
    timerMember({ type: "stale", subject: state.type, originator: state.originator, id: state.id }),
    view.since + limit,
  );
  return timers;
}

/** The member of `<ns>:idx:unmatched` for an entity: `<type>|<originator>|<id>`. */
export function unmatchedMember(state: Pick<EntityState, "type" | "originator" | "id">): string {
  return `${state.type}|${state.originator}|${state.id}`;
}

/**
 * The writes that go with an entity write: its stale timer; its originator under its id (so the unscoped
 * lookup finds every originator using that id); its entry in the unmatched list while no creating message
 * was seen (scored by last activity, newest first when listed).
 */
export function planEntityWrite(before: EntityState | undefined, after: EntityState, ctx: PlanContext): WriteOp[] {
  const oldTimers = before === undefined ? new Map<string, number>() : entityTimers(before, ctx);
  const ops = timerDiff(oldTimers, entityTimers(after, ctx), ctx.keys.timers);
  if (before === undefined) {
    ops.push({ op: "zadd", key: ctx.keys.entityOriginators(after.type, after.id), score: 0, member: after.originator });
  }
  const member = unmatchedMember(after);
  if (!after.matched && (before === undefined || before.lastSeen !== after.lastSeen || before.matched)) {
    ops.push({ op: "zadd", key: ctx.keys.unmatched, score: after.lastSeen, member });
  } else if (after.matched && before !== undefined && !before.matched) {
    ops.push({ op: "zrem", key: ctx.keys.unmatched, member });
  }
  return ops;
}

function counterDiff(before: readonly string[], after: readonly string[], key: string): WriteOp[] {
  const delta = new Map<string, number>();
  for (const field of before) delta.set(field, (delta.get(field) ?? 0) - 1);
  for (const field of after) delta.set(field, (delta.get(field) ?? 0) + 1);
  const ops: WriteOp[] = [];
  for (const [field, by] of delta) if (by !== 0) ops.push({ op: "hincr", key, field, by });
  return ops;
}

/**
 * Only timers that appear, disappear or move are written: a timer a tracker has claimed (its score pushed
 * to the end of the lease) is left alone by unrelated writes, so it is not made due twice.
 */
function timerDiff(before: Map<string, number>, after: Map<string, number>, key: string): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const member of before.keys()) if (!after.has(member)) ops.push({ op: "zrem", key, member });
  for (const [member, score] of after) {
    if (before.get(member) !== score) ops.push({ op: "zadd", key, score, member });
  }
  return ops;
}
