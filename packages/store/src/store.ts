import type { KeyObject } from "node:crypto";
import type { Envelope, MessageKind } from "@carehub/schemas";
import {
  type BusinessEntity,
  type CareCourse,
  type CareListPage,
  type CareListQuery,
  isCarehubError,
  type LifecycleEvent,
  type MessageLifecycle,
  type MessagePage,
  type MessageSummary,
  type PatientOverview,
  type StatusCounts,
} from "@carehub/schemas";
import type { Redis } from "ioredis";
import { indexEntries, oldestPositions, pipelineAddToIndex } from "./bucketed-index.ts";
import { type CareBoard, type CareLinks, CareOverviewStore } from "./care-overview/care-overview-store.ts";
import type { CareViewer } from "./care-overview/course-access.ts";
import {
  analysisStatOps,
  dayStatOps,
  daysBetween,
  type PeriodStats,
  type StatPeriod,
  sumDayStats,
} from "./day-stats.ts";
import { decodeEntity, encodeEntity } from "./entity-codec.ts";
import {
  applyEntityUpdate,
  clearEffects,
  type EntityApplyOptions,
  type EntityState,
  type EntityUpdate,
  emptyEntity,
  type SubjectRef,
  toBusinessEntity,
  withAppointments,
} from "./entity-state.ts";
import { hubIdOfMember } from "./index-member.ts";
import { bucketDirectory, logicalIndexOf, parseTimerMember, type StoreKeys, storeKeys, type TimerRef } from "./keys.ts";
import { asDecoded, decodeMessage, encodeMessage, toLifecycle } from "./message-codec.ts";
import { type ListMessagesQuery, listMessages, loadSummaries, nextBatchOfUnion } from "./message-query.ts";
import {
  applyEnvelope,
  applyEvent,
  applyReplayLink,
  awaitsAcknowledgement,
  type EnvelopeFacts,
  listingTime,
  type MessageState,
} from "./message-state.ts";
import { patientHash, patientHashKey, patientIndexHash } from "./patient-hash.ts";
import { RecentRecords } from "./recent-records.ts";
import { type CasWrite, claimTimers, compareAndSet, compareAndSetMany, finishTimer } from "./redis-scripts.ts";
import { parseStatCounts } from "./stat-counts.ts";
import type { SubjectType } from "./state-machines.ts";
import { CorruptRecordError, InvalidQueryError, StoreContendedError, StoreUnavailableError } from "./store-errors.ts";
import {
  type PlanContext,
  planEntityWrite,
  planMessageWrite,
  type StaleLimits,
  statFieldsOf,
  type WriteOp,
} from "./write-plan.ts";

const DAY_MS = 86_400_000;
/** Records outlive their index entries by this much, so the sweeper can still read what to remove. */
const EXPIRY_GRACE_MS = DAY_MS;
const CAS_ATTEMPTS = 16;
/** Records whose last write this store remembers (a few seconds of traffic; about 1–2 KB each). */
const RECENT_RECORDS = 4_096;
/** Sets KEYS[1] to ARGV[1] unless it holds a higher value, expiring at ARGV[2] (ms). */
const RAISE_FLOOR = `
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
if current < tonumber(ARGV[1]) then
  redis.call("SET", KEYS[1], ARGV[1], "PXAT", ARGV[2])
end
return 1`;

export interface StoreOptions {
  redis: Redis;
  namespace: string;
  /** How long a message or business record is kept, counted from its receive time / last activity. */
  retentionDays: number;
  /** Key of the keyed patient hash (HubConfig.patientHashKey). */
  patientHashKey: string;
  /** The receiver's acknowledgement timeout in ms (registry ackTimeoutSeconds); undefined: no ack timer. */
  ackTimeoutMs?: (endpoint: string, kind: MessageKind | undefined) => number | undefined;
  /** When a business status counts as stale, per subject type and status (ms). */
  staleLimits?: StaleLimits;
  /** Injectable clock (epoch ms). */
  now?: () => number;
}

/** The read side, as the query API uses it. */
export interface ReadModelQueries {
  getMessage(hubId: string): Promise<MessageLifecycle | undefined>;
  /** `patient` is hashed here with the read model's key and goes no further. */
  listMessages(query: PatientListQuery): Promise<MessagePage>;
  /** The referrals or tasks that messages about one patient are about (hashed here, like listMessages). */
  findEntitiesByPatient(type: "referral" | "task", identifier: string): Promise<BusinessEntity[]>;
  /** A referral, task or appointment by its scoped identity; a referral or task with its appointments. */
  getEntity(subject: SubjectRef): Promise<BusinessEntity | undefined>;
  /** The originators that have an entity of this type under this id (for the unscoped lookup). */
  originatorsOf(type: SubjectType, id: string): Promise<string[]>;
  /** Entities whose creating message the hub has not seen, most recently active first. */
  listUnmatched(options?: { type?: SubjectType; limit?: number }): Promise<BusinessEntity[]>;
  statusCounts(): Promise<StatusCounts>;
  /** Message and analysis counters per day, ISO week or month over a range of UTC days (day-stats.ts). */
  periodStats(query: { from: string; to: string; period: StatPeriod }): Promise<PeriodStats>;
  findByPatient(identifier: string, options?: { limit?: number }): Promise<MessageSummary[]>;
  /** The care overview of one patient as `viewer` may see it (care-overview/); undefined when nothing is. */
  patientOverview(identifier: string, viewer: CareViewer): Promise<PatientOverview | undefined>;
  /** One package course as `viewer` may see it; undefined when nothing is. */
  getCourse(id: string, viewer: CareViewer): Promise<CareCourse | undefined>;
  /** One endpoint's worklist page, read at `now` (epoch ms). */
  careList(query: CareListQuery & { endpoint: string }, now: number): Promise<CareListPage>;
  /** What one endpoint is a party to, newest first, at most `limit` items, with the courses among them. */
  careBoard(endpoint: string, limit: number): Promise<CareBoard>;
}

/** What a referral or task message adds to the care overview, with its patient's identifier (hashed by the store). */
export type CareLinkInput = Omit<CareLinks, "patientHash"> & { patient?: string };

/** A listing as the query API asks for it: by patient identifier, which only the store turns into its hash. */
export type PatientListQuery = Omit<ListMessagesQuery, "patientHash"> & { patient?: string };

/** How many of a patient's newest messages an entity search looks through (a patient has far fewer). */
const PATIENT_MESSAGES_SCANNED = 1_000;

export interface ClaimedTimer {
  timer: TimerRef;
  member: string;
  dueAt: number;
  leaseUntil: number;
}

export interface WriteResult {
  changed: boolean;
}

/**
 * The Redis read model behind one API: message lifecycle records, referral / task / appointment state,
 * listing indexes, counters and timers. Every write is a compare-and-set of one record together with its
 * index, counter and timer changes, and every fold is idempotent, so any number of writers may apply the
 * same events in any order.
 */
export class ReadModelStore implements ReadModelQueries {
  readonly keys: StoreKeys;
  readonly #redis: Redis;
  readonly #retentionMs: number;
  readonly #patientHashKey: KeyObject;
  readonly #plan: PlanContext;
  readonly #now: () => number;
  readonly #care: CareOverviewStore;
  /** What this store last wrote per record: the compare-and-set's expectation without a read first. */
  readonly #recent = new RecentRecords<MessageState>(RECENT_RECORDS);
  /** The size-based retention's floor as last read or raised (`keys.retentionFloor`); 0: none. */
  #floor = 0;

  constructor(options: StoreOptions) {
    this.keys = storeKeys(options.namespace);
    this.#redis = options.redis;
    this.#retentionMs = options.retentionDays * DAY_MS;
    this.#patientHashKey = patientHashKey(options.patientHashKey);
    this.#plan = {
      keys: this.keys,
      ackTimeoutMs: options.ackTimeoutMs ?? (() => undefined),
      staleLimits: options.staleLimits ?? {},
    };
    this.#now = options.now ?? Date.now;
    this.#care = new CareOverviewStore({
      redis: options.redis,
      keys: this.keys,
      retentionMs: this.#retentionMs,
      graceMs: EXPIRY_GRACE_MS,
      patientHash: (identifier) => this.patientHash(identifier),
    });
  }

  get redis(): Redis {
    return this.#redis;
  }

  /** The keyed hash the read model files a patient under. */
  patientHash(identifier: string): string {
    return patientHash(this.#patientHashKey, identifier);
  }

  // ---- writes ---------------------------------------------------------------------------------------

  /** Folds a lifecycle event into the record of its message (and, for a replay, links the original). */
  async applyEvent(event: LifecycleEvent): Promise<WriteResult> {
    const result = await this.#updateMessage(event.hubId, { folds: [(current) => applyEvent(current, event)] });
    if (event.type === "replayed") {
      await this.#updateMessage(event.originalHubId, {
        folds: [(current) => applyReplayLink(current, event.hubId)],
      });
    }
    return result;
  }

  /** Folds a batch of lifecycle events (applyChanges with events only). */
  applyEvents(events: readonly LifecycleEvent[]): Promise<void> {
    return this.applyChanges(events.map((event) => ({ event })));
  }

  /**
   * Folds a batch of changes to message records (the tracker's lifecycle events and record-only envelopes, as
   * they came off EVENTS and PIPELINE): each record's envelope first, then its events in the order given, every
   * record written with one compare-and-set script call for the whole batch, after at most one MGET of the
   * records this store did not write last. A record that changed meanwhile (another tracker copy) is folded
   * again on its own. Idempotent like applyEvent and applyEnvelope: a change already folded writes nothing.
   */
  async applyChanges(changes: readonly MessageChange[]): Promise<void> {
    const byHubId = new Map<string, RecordChanges>();
    const changesOf = (hubId: string): RecordChanges => {
      let record = byHubId.get(hubId);
      if (record === undefined) {
        record = { folds: [] };
        byHubId.set(hubId, record);
      }
      return record;
    };
    for (const change of changes) {
      if ("envelope" in change) {
        // Two copies of one envelope (a redelivery in the same batch) fold as one: the first stands.
        changesOf(change.envelope.hubId).envelope ??= this.#envelopeChange(change.envelope, change.facts);
        continue;
      }
      const event = change.event;
      changesOf(event.hubId).folds.push((current) => applyEvent(current, event));
      if (event.type === "replayed") {
        changesOf(event.originalHubId).folds.push((current) => applyReplayLink(current, event.hubId));
      }
    }
    const records = [...byHubId].map(([hubId, changes]) => ({ hubId, key: this.keys.message(hubId), changes }));
    const byKey = new Map(records.map((record) => [record.key, record]));
    // What each record holds: this store's last write where it has one; nothing, for a record that comes with its
    // envelope (usually new: see applyEnvelope); else one MGET for the rest.
    const planned = new Map<string, CasWrite & { state: MessageState }>();
    const unread: typeof records = [];
    for (const record of records) {
      const remembered = this.#recent.get(record.key) ?? (record.changes.envelope === undefined ? undefined : null);
      const write =
        remembered === undefined ? undefined : this.#messageWrite(record.hubId, record.key, remembered, record.changes);
      // "Nothing to write" is only believed of what Redis holds, not of what this store wrote last.
      if (write === undefined) unread.push(record);
      else planned.set(record.key, { key: record.key, expected: remembered ?? null, ...write });
    }
    if (unread.length > 0) {
      const texts = await this.#guard("read", () => this.#redis.mget(unread.map((r) => r.key)));
      unread.forEach((record, i) => {
        const text = texts[i] ?? null;
        this.#recent.forget(record.key);
        const write = this.#messageWrite(record.hubId, record.key, text, record.changes);
        if (write !== undefined) planned.set(record.key, { key: record.key, expected: text, ...write });
      });
    }
    const writes = [...planned.values()];
    const done = await this.#guard("write", () => compareAndSetMany(this.#redis, writes));
    const lost: typeof records = [];
    writes.forEach((write, i) => {
      if (done[i] === true) {
        this.#recent.remember(write.key, write.value, write.state);
        return;
      }
      this.#recent.forget(write.key);
      const record = byKey.get(write.key);
      if (record !== undefined) lost.push(record);
    });
    // Lost a race with another writer: read and fold those again one by one (rare).
    for (const record of lost) await this.#updateMessage(record.hubId, record.changes);
  }

  /** Folds what the canonical envelope adds (sender's message id, subject, patient hash, links). */
  applyEnvelope(envelope: Envelope, facts: Omit<EnvelopeFacts, "patientHash"> = {}): Promise<WriteResult> {
    // Its record is usually new (the envelope is the first the tracker hears of a message; events this store
    // folded first are remembered), so it is written expecting nothing rather than read first (0093).
    return this.#updateMessage(
      envelope.hubId,
      { envelope: this.#envelopeChange(envelope, facts), folds: [] },
      { expectNew: true },
    );
  }

  #envelopeChange(envelope: Envelope, facts: Omit<EnvelopeFacts, "patientHash"> = {}): EnvelopeChange {
    const full: EnvelopeFacts = { ...facts };
    // The record and the message index file the patient under the hash's first characters (0104).
    if (envelope.patient !== undefined) full.patientHash = patientIndexHash(this.patientHash(envelope.patient.value));
    return { envelope, facts: full };
  }

  /** Applies one update to a referral, task or appointment; returns the new state (with pending effects). */
  async updateEntity(
    update: EntityUpdate,
    options: EntityApplyOptions,
  ): Promise<{ state: EntityState; changed: boolean }> {
    const key = this.keys.entity(update.subject.type, update.subject.originator, update.subject.id);
    let outcome: { state: EntityState; changed: boolean } | undefined;
    // A mark (stale, returned) for an entity no longer on record (expired) does not bring it back.
    const markOnly = update.fact === undefined && update.creation === undefined && update.appointment === undefined;
    await this.#casLoop(key, (text) => {
      const current = text === null ? undefined : this.#decodeEntity(update.subject, key, text);
      if (current === undefined && markOnly) {
        outcome = { state: emptyEntity(update.subject, update.seenAt), changed: false };
        return undefined;
      }
      const { state } = applyEntityUpdate(current, update, options);
      const value = encodeEntity(state);
      outcome = { state, changed: value !== text };
      if (value === text) return undefined;
      return {
        value,
        expireAt: state.lastSeen + this.#retentionMs + EXPIRY_GRACE_MS,
        ops: planEntityWrite(current, state, this.#plan),
      };
    });
    return outcome as { state: EntityState; changed: boolean };
  }

  /** Files a referral or task in the care overview: its patient, its parties, the package course it opens or joins. */
  recordCareLinks(links: CareLinkInput): Promise<void> {
    const { patient, ...rest } = links;
    const hashed: CareLinks = patient === undefined ? rest : { ...rest, patientHash: this.patientHash(patient) };
    return this.#guard("write", () => this.#care.recordLinks(hashed));
  }

  /** Marks pending effects of an entity as done (after they were published). */
  async clearEntityEffects(subject: SubjectRef, done: readonly string[]): Promise<void> {
    if (done.length === 0) return;
    const key = this.keys.entity(subject.type, subject.originator, subject.id);
    await this.#casLoop(key, (text) => {
      if (text === null) return undefined;
      const current = this.#decodeEntity(subject, key, text);
      const state = clearEffects(current, done);
      const value = encodeEntity(state);
      if (value === text) return undefined;
      return { value, expireAt: state.lastSeen + this.#retentionMs + EXPIRY_GRACE_MS, ops: [] };
    });
  }

  /**
   * Writes finished message records without compare-and-set, pipelined: for bulk loads into a namespace
   * nobody else writes to (benchmarks, imports). Records must be new.
   */
  async importMessages(states: readonly MessageState[]): Promise<void> {
    this.#recent.clear();
    const pipeline = this.#redis.pipeline();
    // Index entries and counters are grouped per key: one ZADD per index and one HINCRBY per counter per batch.
    const zadds = new Map<string, (string | number)[]>();
    const bucketed = new Map<string, (string | number)[]>();
    const counters = new Map<string, Map<string, number>>();
    const expiries = new Map<string, number>();
    for (const state of states) {
      const expireAt = Math.round(listingTime(state) + this.#retentionMs + EXPIRY_GRACE_MS);
      pipeline.set(this.keys.message(state.hubId), encodeMessage(state), "PXAT", expireAt);
      const ops = [
        ...planMessageWrite(undefined, state, this.#plan),
        ...dayStatOps(undefined, state, this.keys, this.#retentionMs + EXPIRY_GRACE_MS),
      ];
      for (const op of ops) {
        if (op.op === "zadd" || op.op === "bzadd") {
          const into = op.op === "zadd" ? zadds : bucketed;
          const args = into.get(op.key) ?? [];
          args.push(op.score, op.member);
          into.set(op.key, args);
        } else if (op.op === "hincr") {
          const fields = counters.get(op.key) ?? new Map<string, number>();
          fields.set(op.field, (fields.get(op.field) ?? 0) + op.by);
          counters.set(op.key, fields);
        } else if (op.op === "pexpireat") {
          expiries.set(op.key, op.at);
        }
      }
    }
    for (const [key, args] of zadds) pipeline.zadd(key, ...args);
    for (const [index, args] of bucketed) pipelineAddToIndex(pipeline, index, args);
    for (const [key, fields] of counters) for (const [field, by] of fields) pipeline.hincrby(key, field, by);
    for (const [key, at] of expiries) pipeline.pexpireat(key, Math.round(at));
    await this.#guard("import", () => pipeline.exec());
  }

  // ---- timers ---------------------------------------------------------------------------------------

  /** Claims due timers for `leaseMs`; call finishTimer after acting on each. */
  async claimDueTimers(options: { limit?: number; leaseMs?: number } = {}): Promise<ClaimedTimer[]> {
    const now = this.#now();
    const leaseUntil = now + (options.leaseMs ?? 30_000);
    const due = await this.#guard("claim timers", () =>
      claimTimers(this.#redis, this.keys.timers, now, leaseUntil, options.limit ?? 100),
    );
    const out: ClaimedTimer[] = [];
    for (const { member, dueAt } of due) {
      const timer = parseTimerMember(member);
      if (timer === undefined) {
        await this.#redis.zrem(this.keys.timers, member);
        continue;
      }
      out.push({ timer, member, dueAt, leaseUntil });
    }
    return out;
  }

  async finishTimer(claimed: ClaimedTimer): Promise<void> {
    await this.#guard("finish timer", () =>
      finishTimer(this.#redis, this.keys.timers, claimed.member, claimed.leaseUntil),
    );
  }

  // ---- reads ----------------------------------------------------------------------------------------

  async getMessageState(hubId: string): Promise<MessageState | undefined> {
    const key = this.keys.message(hubId);
    const text = await this.#guard("read", () => this.#redis.get(key));
    return text === null ? undefined : this.#decodeMessage(hubId, key, text);
  }

  async getMessage(hubId: string): Promise<MessageLifecycle | undefined> {
    const state = await this.getMessageState(hubId);
    if (state === undefined) return undefined;
    const record = toLifecycle(state);
    // When an acknowledgement still pending is due: delivery time + the receiver's timeout (registry).
    if (awaitsAcknowledgement(state)) {
      for (const outcome of record.perReceiver) {
        const r = state.receivers[outcome.endpoint];
        if (r?.deliveredAt === undefined || r.ack !== undefined || outcome.ackDueAt !== undefined) continue;
        const timeout = this.#plan.ackTimeoutMs(outcome.endpoint, state.kind);
        if (timeout !== undefined) outcome.ackDueAt = new Date(r.deliveredAt + timeout).toISOString();
      }
    }
    return record;
  }

  listMessages(query: PatientListQuery): Promise<MessagePage> {
    const { patient, ...filters } = query;
    const hashed: ListMessagesQuery =
      patient === undefined ? filters : { ...filters, patientHash: this.patientHash(patient) };
    return this.#guard("list", () => listMessages(this.#redis, this.keys, hashed));
  }

  /**
   * The referrals or tasks named by the newest messages about one patient (their subject), each once, in the
   * order of their newest such message. The read model keeps no patient on an entity; its messages carry it.
   */
  async findEntitiesByPatient(type: "referral" | "task", identifier: string): Promise<BusinessEntity[]> {
    const subjects = await this.#guard("patient lookup", async () => {
      const members = await this.#patientMessages(identifier, PATIENT_MESSAGES_SCANNED);
      const ids = members.map(hubIdOfMember);
      const texts = ids.length === 0 ? [] : await this.#redis.mget(ids.map((id) => this.keys.message(id)));
      const found = new Map<string, { type: SubjectType; id: string; originator?: string | undefined }>();
      texts.forEach((text, i) => {
        if (text === null || text === undefined) return;
        const subject = decodeMessage(ids[i] as string, text).subject;
        if (subject?.type === type) found.set(`${subject.originator ?? ""}|${subject.id}`, subject);
      });
      return [...found.values()];
    });
    const entities: (BusinessEntity | undefined)[] = [];
    for (const subject of subjects) {
      // A message recorded before identity was scoped names no originator: every originator using that id
      // (the query API still shows an endpoint only those it is part of).
      const originators =
        subject.originator === undefined ? await this.originatorsOf(subject.type, subject.id) : [subject.originator];
      for (const originator of originators) {
        entities.push(await this.getEntity({ type: subject.type, originator, id: subject.id }));
      }
    }
    return entities.filter((entity): entity is BusinessEntity => entity !== undefined);
  }

  async getEntityState(subject: SubjectRef): Promise<EntityState | undefined> {
    const key = this.keys.entity(subject.type, subject.originator, subject.id);
    const text = await this.#guard("read", () => this.#redis.get(key));
    return text === null ? undefined : this.#decodeEntity(subject, key, text);
  }

  async getEntity(subject: SubjectRef): Promise<BusinessEntity | undefined> {
    const state = await this.getEntityState(subject);
    if (state === undefined) return undefined;
    const appointments: EntityState[] = [];
    for (const id of state.type === "appointment" ? [] : state.appointments) {
      const appointment = await this.getEntityState({ type: "appointment", originator: state.originator, id });
      if (appointment !== undefined) appointments.push(appointment);
    }
    return withAppointments(toBusinessEntity(state), appointments);
  }

  getReferral(originator: string, id: string): Promise<BusinessEntity | undefined> {
    return this.getEntity({ type: "referral", originator, id });
  }

  getTask(originator: string, id: string): Promise<BusinessEntity | undefined> {
    return this.getEntity({ type: "task", originator, id });
  }

  getAppointment(originator: string, id: string): Promise<BusinessEntity | undefined> {
    return this.getEntity({ type: "appointment", originator, id });
  }

  async originatorsOf(type: SubjectType, id: string): Promise<string[]> {
    const members = await this.#guard("read", () => this.#redis.zrange(this.keys.entityOriginators(type, id), 0, -1));
    const present: string[] = [];
    // Index entries outlive expired entities; only those still on record count.
    for (const originator of members) {
      if ((await this.#redis.exists(this.keys.entity(type, originator, id))) === 1) present.push(originator);
    }
    return present;
  }

  async listUnmatched(options: { type?: SubjectType; limit?: number } = {}): Promise<BusinessEntity[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1_000));
    const members = await this.#guard("list", () =>
      this.#redis.zrange(this.keys.unmatched, "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 0, limit * 4),
    );
    const out: BusinessEntity[] = [];
    for (const member of members) {
      const [type, originator, ...rest] = member.split("|");
      if (type !== "referral" && type !== "task" && type !== "appointment") continue;
      if (options.type !== undefined && type !== options.type) continue;
      const entity = await this.getEntity({ type, originator: originator ?? "", id: rest.join("|") });
      if (entity?.unmatched === true) out.push(entity);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The day counters from `from` to `to` (UTC days, inclusive) summed per day, ISO week or month (day-stats.ts). */
  async periodStats(query: { from: string; to: string; period: StatPeriod }): Promise<PeriodStats> {
    let days: string[];
    try {
      days = daysBetween(query.from, query.to);
    } catch (error) {
      throw new InvalidQueryError(error instanceof RangeError ? `the days (${error.message})` : "the days");
    }
    const hashes = await this.#guard("stats", async () => {
      const pipeline = this.#redis.pipeline();
      for (const day of days) pipeline.hgetall(this.keys.statsDay(day));
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, fields]) => {
        if (error) throw error;
        return fields as Record<string, string>;
      });
    });
    return sumDayStats(days, hashes, query.period);
  }

  async statusCounts(): Promise<StatusCounts> {
    const fields = await this.#guard("stats", () => this.#redis.hgetall(this.keys.stats));
    return parseStatCounts(fields);
  }

  /** Messages about one patient, newest first. The identifier is hashed here and never stored or logged. */
  async findByPatient(identifier: string, options: { limit?: number } = {}): Promise<MessageSummary[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1_000));
    return this.#guard("patient lookup", async () =>
      loadSummaries(this.#redis, this.keys, await this.#patientMessages(identifier, limit)),
    );
  }

  /** The index members of a patient's newest `limit` messages, newest first, in either form of its index (0104). */
  async #patientMessages(identifier: string, limit: number): Promise<string[]> {
    const indexes = this.keys.patientIndexes(this.patientHash(identifier));
    const positions = await nextBatchOfUnion(this.#redis, indexes, undefined, Infinity, -Infinity, limit);
    return positions.map((p) => p.member);
  }

  patientOverview(identifier: string, viewer: CareViewer): Promise<PatientOverview | undefined> {
    return this.#guard("patient lookup", () => this.#care.patientOverview(identifier, viewer));
  }

  getCourse(id: string, viewer: CareViewer): Promise<CareCourse | undefined> {
    return this.#guard("read", () => this.#care.getCourse(id, viewer));
  }

  careList(query: CareListQuery & { endpoint: string }, now: number): Promise<CareListPage> {
    return this.#guard("list", () => this.#care.careList(query, now));
  }

  careBoard(endpoint: string, limit: number): Promise<CareBoard> {
    return this.#guard("list", () => this.#care.careBoard(endpoint, limit));
  }

  // ---- maintenance ----------------------------------------------------------------------------------

  /**
   * Removes messages older than the retention period together with their index entries, counters and
   * timers. Run periodically (the tracker does); returns how many records were removed in this pass.
   */
  async sweepExpired(options: { batch?: number } = {}): Promise<number> {
    await this.loadRetentionFloor();
    const cutoff = Math.max(this.#now() - this.#retentionMs, this.#floor);
    // Every message is in one status index; records of releases before 0080 also in the former index of all.
    // Read as bucketed indexes (their buckets and their key of before 0097); the former index of all has no buckets.
    const indexes = [...this.keys.everyMessage, this.keys.allBefore0080];
    const batch = options.batch ?? 500;
    const found = await this.#guard("sweep", () => oldestPositions(this.#redis, indexes, cutoff, batch));
    const members = new Map<string, Array<{ index: string; score: number }>>();
    for (const { index, member, score } of found)
      members.set(member, [...(members.get(member) ?? []), { index, score }]);
    let removed = 0;
    for (const [member, heldBy] of [...members].slice(0, batch)) {
      const hubId = hubIdOfMember(member);
      const key = this.keys.message(hubId);
      await this.#casLoop(key, (text) => {
        // The record expired before its entries left: drop the entries the sweep found.
        if (text === null) {
          return {
            value: null,
            ops: heldBy.map(({ index, score }) =>
              index === this.keys.allBefore0080
                ? ({ op: "zrem", key: index, member } as const)
                : ({ op: "bzrem", key: index, score, member } as const),
            ),
          };
        }
        const state = this.#decodeMessage(hubId, key, text);
        if (listingTime(state) > cutoff) return undefined;
        removed++;
        return { value: null, ops: planMessageWrite(state, undefined, this.#plan) };
      });
    }
    return removed;
  }

  /**
   * Raises the size-based retention's floor to `receivedAt` (ms; never lowers it): the records of messages
   * received at or before it leave at the next sweep and are not written again — by a late event or by a
   * rebuild that replays what the streams still hold of them (docs/decisions/0074). The key expires when
   * everything at or before the floor is past the retention anyway.
   */
  async raiseRetentionFloor(receivedAt: number): Promise<void> {
    const floor = Math.floor(receivedAt);
    const expireAt = floor + this.#retentionMs + EXPIRY_GRACE_MS;
    await this.#guard("sweep", () =>
      this.#redis.eval(RAISE_FLOOR, 1, this.keys.retentionFloor, String(floor), String(expireAt)),
    );
    this.#floor = Math.max(this.#floor, floor);
  }

  /** Reads the size-based retention's floor (the sweep does; a rebuild does before it replays). */
  async loadRetentionFloor(): Promise<number> {
    const text = await this.#guard("sweep", () => this.#redis.get(this.keys.retentionFloor));
    this.#floor = text === null ? 0 : Number(text);
    return this.#floor;
  }

  /** Deletes every read-model key of this namespace (nothing else under it). Returns how many. */
  async dropReadModel(): Promise<number> {
    this.#recent.clear();
    let deleted = 0;
    for (const key of await this.readModelKeys()) {
      deleted += await this.#redis.unlink(key);
    }
    return deleted;
  }

  /** Every read-model key of this namespace. */
  async readModelKeys(): Promise<string[]> {
    const keys = new Set<string>();
    for (const pattern of this.keys.patterns) {
      let cursor = "0";
      do {
        const [next, batch] = await this.#redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
        cursor = next;
        for (const key of batch) keys.add(key);
      } while (cursor !== "0");
    }
    return [...keys].sort();
  }

  /**
   * Every read-model key with its content and absolute expiry, in a canonical form: two dumps are equal
   * exactly when the read models are. For comparing a rebuilt model with the live one, and for tests.
   */
  async dumpReadModel(): Promise<Record<string, { type: string; value: unknown; expiresAt: number }>> {
    const dump: Record<string, { type: string; value: unknown; expiresAt: number }> = {};
    // A bucketed index is its logical content: where its buckets split depends on the order it was written in.
    const indexes = new Set<string>();
    for (const key of await this.readModelKeys()) {
      const index = logicalIndexOf(key);
      if (index !== undefined) {
        indexes.add(index);
        continue;
      }
      if (logicalIndexOf(bucketDirectory(key)) !== undefined) {
        indexes.add(key);
        continue;
      }
      const type = await this.#redis.type(key);
      let value: unknown;
      if (type === "string") value = await this.#redis.get(key);
      else if (type === "zset") value = await this.#redis.zrange(key, 0, -1, "WITHSCORES");
      else if (type === "hash")
        value = Object.entries(await this.#redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1));
      else value = `(${type})`;
      const expiresAt = Number(await this.#redis.call("PEXPIRETIME", key));
      dump[key] = { type, value, expiresAt };
    }
    for (const index of indexes) {
      const entries = await indexEntries(this.#redis, index);
      if (entries.length === 0) continue;
      dump[index] = { type: "zset", value: entries.flatMap((p) => [p.member, String(p.score)]), expiresAt: -1 };
    }
    return Object.fromEntries(Object.entries(dump).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  // ---- internals ------------------------------------------------------------------------------------

  async #updateMessage(hubId: string, changes: RecordChanges, expectation: CasExpectation = {}): Promise<WriteResult> {
    const key = this.keys.message(hubId);
    let changed = false;
    await this.#casLoop(
      key,
      (text) => {
        const write = this.#messageWrite(hubId, key, text, changes);
        changed = write !== undefined;
        return write;
      },
      expectation,
    );
    return { changed };
  }

  /** The write that folds `changes` into a message record holding `text`; undefined: nothing to write. */
  #messageWrite(
    hubId: string,
    key: string,
    text: string | null,
    changes: RecordChanges,
  ): { value: string; expireAt: number; ops: WriteOp[]; state: MessageState } | undefined {
    // What this store wrote last is at hand decoded: decoding what encodeMessage wrote gives back the state it
    // was written from (message-codec.property.test.ts), so it is not decoded again.
    const current =
      text === null ? undefined : (this.#recent.stateOf(key, text) ?? this.#decodeMessage(hubId, key, text));
    let next: MessageState | undefined;
    let analysisOps: WriteOp[] = [];
    const { envelope } = changes;
    if (envelope !== undefined) {
      next = applyEnvelope(current, envelope.envelope, envelope.facts);
      // The analyses are counted with the write that first folds the envelope in: a redelivered one adds
      // nothing. Alone, the envelope changed the record exactly when the write below happens; with events,
      // only its own change counts (a record that was not there certainly changed: no encoding to tell).
      if (changes.folds.length === 0 || text === null || encodeMessage(next) !== text) {
        analysisOps = analysisStatOps(envelope.envelope, next, this.keys, this.#retentionMs + EXPIRY_GRACE_MS);
      }
    }
    for (const fold of changes.folds) next = fold(next ?? current) ?? next;
    if (next === undefined) return undefined;
    const expireAt = listingTime(next) + this.#retentionMs + EXPIRY_GRACE_MS;
    // Past its retention already (a rebuild over an old stream), or its message purged by size: nothing to keep.
    if (expireAt - EXPIRY_GRACE_MS <= this.#now() || listingTime(next) <= this.#floor) return undefined;
    const value = encodeMessage(next);
    if (value === text) return undefined;
    // The counter fields of both sides once, for the overall counters and the day's.
    const stats = statFieldsOf(current, next);
    const ops = planMessageWrite(current, next, this.#plan, stats);
    for (const op of dayStatOps(current, next, this.keys, this.#retentionMs + EXPIRY_GRACE_MS, stats)) ops.push(op);
    for (const op of analysisOps) ops.push(op);
    return { value, expireAt, ops, state: asDecoded(next) };
  }

  /**
   * Read, compute, compare-and-set; on a lost race read again. `compute` returns undefined for "nothing to
   * write", or the new value (null deletes) with its secondary writes. The first attempt expects, without a
   * read, what this store wrote last, or nothing when `expectNew` and it wrote nothing; the script checks
   * either, and a wrong expectation costs one read.
   */
  async #casLoop(
    key: string,
    compute: (text: string | null) =>
      | {
          value: string | null;
          expireAt?: number;
          ops: Parameters<typeof compareAndSet>[1]["ops"];
          state?: MessageState;
        }
      | undefined,
    expectation: CasExpectation = {},
  ): Promise<void> {
    let useMemory = true;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const remembered = useMemory ? (this.#recent.get(key) ?? (expectation.expectNew ? null : undefined)) : undefined;
      let fromMemory = remembered !== undefined;
      let text = remembered === undefined ? await this.#read(key) : remembered;
      let write = compute(text);
      if (write === undefined && fromMemory) {
        // "Nothing to write" is only believed of what Redis holds, not of what this store wrote last.
        fromMemory = false;
        text = await this.#read(key);
        write = compute(text);
      }
      if (write === undefined) return;
      const expected = text;
      const { state, ...cas } = write;
      const done = await this.#guard("write", () => compareAndSet(this.#redis, { key, expected, ...cas }));
      if (done) {
        this.#recent.remember(key, cas.value, state);
        return;
      }
      this.#recent.forget(key);
      // A stale expectation is not contention: read Redis and try again at once, without counting it.
      if (fromMemory) {
        useMemory = false;
        attempt--;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
    throw new StoreContendedError(key, CAS_ATTEMPTS);
  }

  async #read(key: string): Promise<string | null> {
    const text = await this.#guard("read", () => this.#redis.get(key));
    this.#recent.forget(key);
    return text;
  }

  #decodeMessage(hubId: string, key: string, text: string): MessageState {
    try {
      return decodeMessage(hubId, text);
    } catch (error) {
      throw new CorruptRecordError(key, error);
    }
  }

  #decodeEntity(subject: SubjectRef, key: string, text: string): EntityState {
    try {
      return decodeEntity(subject.type, subject.originator, subject.id, text);
    } catch (error) {
      throw new CorruptRecordError(key, error);
    }
  }

  async #guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isCarehubError(error)) throw error;
      throw new StoreUnavailableError(operation, error);
    }
  }
}

/** What a compare-and-set may expect without reading first, besides what this store wrote last. */
interface CasExpectation {
  /** The record is most likely new: expect it absent. */
  expectNew?: boolean;
}

/** A change to a message record the tracker folds in a batch: a lifecycle event, or what an envelope adds. */
export type MessageChange =
  | { event: LifecycleEvent }
  | { envelope: Envelope; facts?: Omit<EnvelopeFacts, "patientHash"> };

/** One change to a message record; undefined: nothing to write. */
type MessageFold = (current: MessageState | undefined) => MessageState | undefined;

interface EnvelopeChange {
  envelope: Envelope;
  facts: EnvelopeFacts;
}

/** What one write folds into a message record: its envelope (first), then its other changes in order. */
interface RecordChanges {
  envelope?: EnvelopeChange;
  folds: MessageFold[];
}

export function createStore(options: StoreOptions): ReadModelStore {
  return new ReadModelStore(options);
}
