import { MessageStatus } from "@carehub/schemas";
import { patientIndexHash } from "./patient-hash.ts";
import type { SubjectType } from "./state-machines.ts";

/**
 * Every Redis key of the read model (documented in docs/contracts.md). Nothing else spells them.
 * Identifiers in keys are hub ids, endpoint ids, kinds, statuses, business ids and keyed patient
 * hashes — never a patient identifier.
 */
export interface StoreKeys {
  readonly namespace: string;
  message(hubId: string): string;
  /** A referral, task or appointment, scoped by the endpoint that originated it (docs/architecture.md). */
  entity(type: SubjectType, originator: string, id: string): string;
  /** The originators that have an entity of this type under this id (the unscoped lookup `/v1/referrals/:id`). */
  entityOriginators(type: SubjectType, id: string): string;
  /** Entities whose creating message the hub has not seen (`GET /v1/referrals?unmatched=true`). */
  readonly unmatched: string;
  /**
   * Every message of one overall status (`MessageStatus`), plus `ack-overdue` (a subset of `delivered`). The
   * statuses' indexes together name every message once: the unfiltered listing and the retention sweep read
   * their union (docs/decisions/0080-no-index-of-all-messages.md).
   */
  byStatus(status: string): string;
  /**
   * Older releases' index of every message: no longer written; the sweep still reads it and a deletion removes
   * its entry, until `carehub rebuild` (which drops it) or the last old entry's retention.
   */
  readonly allBefore0080: string;
  /** The status indexes whose union is every message (`byStatus` of each `MessageStatus`; not `ack-overdue`). */
  readonly everyMessage: readonly string[];
  bySender(endpoint: string): string;
  byReceiver(endpoint: string): string;
  /** Messages from `sender` to `receiver`: the listing filtered by both reads this instead of intersecting two. */
  bySenderReceiver(sender: string, receiver: string): string;
  byKind(kind: string): string;
  /**
   * A patient's messages, filed under the record's `patientHash`: `patientIndexHash` of the patient hash since
   * docs/decisions/0104, the whole hash before it (a record keeps the form it was written with).
   */
  byPatient(hash: string): string;
  /** The indexes that may hold a patient's messages (patient hash `hash`): the 0104 form, then the former one. */
  patientIndexes(hash: string): readonly string[];
  readonly stats: string;
  /** One UTC day's counters (day-stats.ts): the `stats` fields of messages received that day, plus analysis codes. */
  statsDay(day: string): string;
  readonly timers: string;
  /**
   * The size-based retention's floor (docs/decisions/0074): a message received at or before this time (ms) has
   * left PIPELINE or EVENTS by a purge, so its record leaves too. Not part of the read model: a rebuild keeps it.
   */
  readonly retentionFloor: string;
  /** The care overview (care-overview/): a patient's referrals, tasks and package courses (member: care-member.ts). */
  careByPatient(hash: string): string;
  /** The referrals and tasks of one package course, keyed by its package referral. */
  courseItems(originator: string, referralId: string): string;
  /** A package course's record: its package code and its patient's keyed hash. */
  course(originator: string, referralId: string): string;
  /** The referrals and tasks one endpoint is a party to (its worklists). */
  careByParty(endpoint: string): string;
  /** SCAN patterns covering the whole read model (and nothing else under the namespace). */
  readonly patterns: readonly string[];
}

/*
 * Bucketed message indexes (docs/decisions/0097-bucketed-message-indexes.md). A message index (`byStatus`,
 * `bySender`, `byReceiver`, `bySenderReceiver`, `byKind`) is named by the key above — its logical name — but kept
 * as buckets of at most `INDEX_BUCKET_ENTRIES` entries, each small enough to stay a listpack in Redis (~35 B per
 * entry instead of ~122 B in a skiplist): the bucket directory `<index>@` (a sorted set: bucket id, scored by the
 * lowest listing time the bucket may hold) and the buckets `<index>@<bucket id>`. The logical name itself is the
 * layout before 0097 (one sorted set): still read and emptied, never written. The patient index is not bucketed
 * (a patient has a few messages: its key is a listpack already). Endpoint ids, kinds and statuses carry no `@`.
 * bucketed-index.ts (and its Lua) is the only code that spells the bucket keys from the directory.
 */
export const BUCKET_SEPARATOR = "@";
/** Redis' default `zset-max-listpack-entries`: a bucket is split when it would hold more. */
export const INDEX_BUCKET_ENTRIES = 128;

/** The bucket directory of a bucketed message index (`index`: its logical name, e.g. `keys.bySender(x)`). */
export function bucketDirectory(index: string): string {
  return `${index}${BUCKET_SEPARATOR}`;
}

const BUCKETED_FAMILIES = [":idx:st:", ":idx:from:", ":idx:to:", ":idx:pair:", ":idx:kind:"];

/** The logical index a physical key (directory or bucket) belongs to; undefined: not part of a bucketed index. */
export function logicalIndexOf(key: string): string | undefined {
  const at = key.lastIndexOf(BUCKET_SEPARATOR);
  if (at === -1 || !BUCKETED_FAMILIES.some((family) => key.includes(family))) return undefined;
  return key.slice(0, at);
}

export function storeKeys(namespace: string): StoreKeys {
  const ns = namespace;
  const byStatus = (status: string) => `${ns}:idx:st:${status}`;
  const byPatient = (hash: string) => `${ns}:idx:pt:${hash}`;
  return {
    namespace: ns,
    message: (hubId) => `${ns}:m:${hubId}`,
    // Endpoint ids carry no ':' (registry schema), so the id after the originator may carry anything.
    entity: (type, originator, id) => `${ns}:ent:${type}:${originator}:${id}`,
    entityOriginators: (type, id) => `${ns}:idx:eid:${type}:${id}`,
    unmatched: `${ns}:idx:unmatched`,
    allBefore0080: `${ns}:idx:all`,
    everyMessage: MessageStatus.options.map(byStatus),
    bySender: (endpoint) => `${ns}:idx:from:${endpoint}`,
    byReceiver: (endpoint) => `${ns}:idx:to:${endpoint}`,
    bySenderReceiver: (sender, receiver) => `${ns}:idx:pair:${sender}:${receiver}`,
    byKind: (kind) => `${ns}:idx:kind:${kind}`,
    byStatus,
    byPatient,
    patientIndexes: (hash) => {
      const current = patientIndexHash(hash);
      return current === hash ? [byPatient(hash)] : [byPatient(current), byPatient(hash)];
    },
    stats: `${ns}:idx:stats`,
    statsDay: (day) => `${ns}:idx:stats:day:${day}`,
    careByPatient: (hash) => `${ns}:idx:care:pt:${hash}`,
    courseItems: (originator, referralId) => `${ns}:idx:care:course:${originator}:${referralId}`,
    course: (originator, referralId) => `${ns}:idx:care:coursemeta:${originator}:${referralId}`,
    careByParty: (endpoint) => `${ns}:idx:care:party:${endpoint}`,
    timers: `${ns}:timers`,
    retentionFloor: `${ns}:retention:floor`,
    patterns: [`${ns}:m:*`, `${ns}:idx:*`, `${ns}:ent:*`, `${ns}:timers`],
  };
}

/** A timer in `<ns>:timers`: the acknowledgement of a delivery, or the staleness of a business status. */
export type TimerRef =
  | { type: "ack"; hubId: string; endpoint: string }
  | { type: "stale"; subject: SubjectType; originator: string; id: string };

export function timerMember(timer: TimerRef): string {
  return timer.type === "ack"
    ? `a|${timer.hubId}|${timer.endpoint}`
    : `s|${timer.subject}|${timer.originator}|${timer.id}`;
}

export function parseTimerMember(member: string): TimerRef | undefined {
  if (member.startsWith("a|")) {
    const last = member.lastIndexOf("|");
    if (last <= 2) return undefined;
    return { type: "ack", hubId: member.slice(2, last), endpoint: member.slice(last + 1) };
  }
  if (member.startsWith("s|")) {
    const second = member.indexOf("|", 2);
    if (second === -1) return undefined;
    const third = member.indexOf("|", second + 1);
    if (third === -1) return undefined;
    const subject = member.slice(2, second);
    if (subject !== "referral" && subject !== "task" && subject !== "appointment") return undefined;
    return { type: "stale", subject, originator: member.slice(second + 1, third), id: member.slice(third + 1) };
  }
  return undefined;
}
