import type { CareCourse, CareItem, CareListPage, CareListQuery, PatientOverview } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { decodeEntity } from "../entity-codec.ts";
import { type EntityState, effectiveCounterparts, type SubjectRef } from "../entity-state.ts";
import type { StoreKeys } from "../keys.ts";
import { decodeCursor, encodeCursor } from "../message-query.ts";
import { InvalidCursorError, InvalidQueryError } from "../store-errors.ts";
import { type CareItemRecord, careItem, inCareOrder } from "./care-item.ts";
import { onCareList } from "./care-lists.ts";
import { courseId, courseMember, itemMember, parseCareMember, parseCourseId } from "./care-member.ts";
import { type CareViewer, visibleItems } from "./course-access.ts";
import { courseState } from "./course-state.ts";
import { carePackage } from "./package-codes.ts";

/**
 * What one referral or task message adds to the care overview (decided by the tracker from the envelope; the
 * course it joins is checked here, against what the hub knows).
 */
export interface CareLinks {
  /** The referral or task the message created (or, for a forward, the one it passed on). */
  item: SubjectRef;
  /** Receive time of the message (epoch ms). */
  seenAt: number;
  /** The patient's keyed hash, when the message names a patient. */
  patientHash?: string;
  /** Endpoints this message makes party to the item (its originator, receivers, a forward's receivers). */
  parties: readonly string[];
  /** The message is a package referral: the package (its referral category) it opens a course of. */
  opensCourse?: string;
  /** The message names a package referral (`packageReferralId`); `sender` must be a party of it to join. */
  joinsCourse?: { packageReferralId: string; sender: string };
}

interface CourseRecord {
  package: string;
  patientHash: string;
}

interface StoredCourse {
  referral: SubjectRef;
  record: CourseRecord;
  members: string[];
}

const DAY_MS = 86_400_000;
const OPERATOR: CareViewer = { kind: "operator" };

/** One endpoint's referrals and tasks (with their appointments) and the package courses among them. */
export interface CareBoard {
  items: CareItem[];
  courses: CareCourse[];
  truncated: boolean;
}
/** Items a worklist page looks at before it answers with what it has (the cursor continues). */
const LIST_SCAN_LIMIT = 2_000;
const LIST_BATCH = 200;

export interface CareOverviewStoreOptions {
  redis: Redis;
  keys: StoreKeys;
  retentionMs: number;
  /** Extra life of index keys beyond the retention (like the records they point to). */
  graceMs: number;
  patientHash: (identifier: string) => string;
}

/**
 * The care overview's part of the read model (issue 12): a patient's referrals, tasks and package courses, and
 * each endpoint's worklists. The indexes are sorted sets whose writes commute (ZADD LT keeps the first time
 * seen, whatever order messages are folded in), so a rebuild from the streams gives the same keys; the items
 * themselves are the entity records the tracker folds anyway, read and shown at query time.
 */
export class CareOverviewStore {
  readonly #redis: Redis;
  readonly #keys: StoreKeys;
  readonly #options: CareOverviewStoreOptions;

  constructor(options: CareOverviewStoreOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#options = options;
  }

  // ---- writes (the tracker) ----------------------------------------------------------------------------

  async recordLinks(links: CareLinks): Promise<void> {
    const keys = this.#keys;
    const member = itemMember(links.item);
    const expireAt = links.seenAt + this.#options.retentionMs + this.#options.graceMs;
    const multi = this.#redis.multi();
    const touched: string[] = [];
    const add = (key: string, value: string) => {
      multi.zadd(key, "LT", links.seenAt, value);
      touched.push(key);
    };
    if (links.patientHash !== undefined) add(keys.careByPatient(links.patientHash), member);
    for (const party of links.parties) add(keys.careByParty(party), member);
    if (links.opensCourse !== undefined && links.patientHash !== undefined && links.item.type === "referral") {
      const record: CourseRecord = { package: links.opensCourse, patientHash: links.patientHash };
      const recordKey = keys.course(links.item.originator, links.item.id);
      multi.set(recordKey, JSON.stringify(record));
      touched.push(recordKey);
      add(keys.careByPatient(links.patientHash), courseMember(links.item));
      add(keys.courseItems(links.item.originator, links.item.id), member);
    }
    if (links.joinsCourse !== undefined && links.patientHash !== undefined) {
      const course = await this.#courseToJoin(links.joinsCourse, links.patientHash);
      if (course !== undefined && itemMember(course) !== member) {
        add(keys.courseItems(course.originator, course.id), member);
        // The referring practice sees every item of its course, so they are on its worklists too.
        add(keys.careByParty(course.originator), member);
      }
    }
    for (const key of new Set(touched)) {
      // Expires with the last message that touched it (NX sets a first expiry, GT only ever extends it).
      multi.pexpireat(key, expireAt, "NX");
      multi.pexpireat(key, expireAt, "GT");
    }
    await multi.exec();
  }

  /**
   * The package referral under that id that `sender` has a part in (its originator or a counterpart) and whose
   * course is about the same patient; undefined otherwise — the item then stays outside any course. Nothing the
   * message says decides this: a stranger naming another practice's package referral joins nothing.
   */
  async #courseToJoin(
    join: NonNullable<CareLinks["joinsCourse"]>,
    patientHash: string,
  ): Promise<SubjectRef | undefined> {
    const originators = (
      await this.#redis.zrange(this.#keys.entityOriginators("referral", join.packageReferralId), 0, -1)
    ).sort();
    for (const originator of originators) {
      const referral: SubjectRef = { type: "referral", originator, id: join.packageReferralId };
      const record = await this.#courseRecord(referral);
      if (record?.patientHash !== patientHash) continue;
      const [state] = await this.#states([referral]);
      if (state?.matched !== true) continue;
      if (originator === join.sender || effectiveCounterparts(state).includes(join.sender)) return referral;
    }
    return undefined;
  }

  // ---- reads (the query API) -----------------------------------------------------------------------------

  /** The patient's courses and other referrals and tasks, as `viewer` may see them; undefined when nothing. */
  async patientOverview(identifier: string, viewer: CareViewer): Promise<PatientOverview | undefined> {
    const members = await this.#redis.zrange(this.#keys.careByPatient(this.#options.patientHash(identifier)), 0, -1);
    const courseRefs: SubjectRef[] = [];
    const loose: SubjectRef[] = [];
    for (const member of members) {
      const parsed = parseCareMember(member);
      if (parsed?.kind === "course") courseRefs.push(parsed.referral);
      else if (parsed?.kind === "item") loose.push(parsed.subject);
    }
    const stored = await this.#storedCourses(courseRefs);
    const inCourse = new Set(stored.flatMap((c) => c.members));
    const outside = loose.filter((s) => !inCourse.has(itemMember(s)));
    const courseSubjects = stored.map((c) => c.members.map(parseItem).filter((s) => s !== undefined));
    const records = await this.#itemRecords([...courseSubjects.flat(), ...outside]);
    const courses: CareCourse[] = [];
    stored.forEach((course, i) => {
      const view = this.#courseView(course, courseSubjects[i] ?? [], records, viewer);
      if (view !== undefined) courses.push(view);
    });
    const items = visibleItems(viewer, inCareOrder(outside.flatMap((s) => records.get(itemMember(s)) ?? [])));
    if (courses.length === 0 && items.length === 0) return undefined;
    return { courses, items: items.map((r) => r.item) };
  }

  /** One course by its id (`<originator>:<package referral id>`), as `viewer` may see it; undefined when nothing. */
  async getCourse(id: string, viewer: CareViewer): Promise<CareCourse | undefined> {
    const referral = parseCourseId(id);
    if (referral === undefined) return undefined;
    const [course] = await this.#storedCourses([referral]);
    if (course === undefined) return undefined;
    const subjects = course.members.map(parseItem).filter((s) => s !== undefined);
    return this.#courseView(course, subjects, await this.#itemRecords(subjects), viewer);
  }

  /** One endpoint's worklist, oldest first, from `query.cursor`; `now` decides what is overdue. */
  async careList(query: CareListQuery & { endpoint: string }, now: number): Promise<CareListPage> {
    const key = this.#keys.careByParty(query.endpoint);
    let after: { score: number; member: string } | undefined;
    try {
      after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    } catch {
      throw new InvalidCursorError();
    }
    if (!Number.isFinite(now)) throw new InvalidQueryError("the time the list is read at");
    const picked: CareListPage["items"] = [];
    let scanned = 0;
    let last = after;
    let exhausted = false;
    while (picked.length < query.limit && scanned < LIST_SCAN_LIMIT) {
      const batch = await this.#batchAfter(key, last);
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      const subjects = batch.map((p) => parseItem(p.member));
      const records = await this.#itemRecords(subjects.filter((s) => s !== undefined));
      for (const [i, position] of batch.entries()) {
        scanned++;
        last = position;
        const subject = subjects[i];
        const [record, ...appointments] = subject === undefined ? [] : (records.get(itemMember(subject)) ?? []);
        if (record !== undefined && onCareList(query.list, record, appointments, now - query.days * DAY_MS, now)) {
          picked.push(record.item);
          if (picked.length >= query.limit) break;
        }
      }
    }
    const more = !exhausted && last !== undefined && (await this.#batchAfter(key, last, 1)).length > 0;
    return { items: picked, nextCursor: more && last !== undefined ? encodeCursor(last) : null };
  }

  /**
   * What one endpoint is a party to, newest first, at most `limit` referrals and tasks (the console's boards):
   * each with its appointments, and the package courses among them as an operator sees them. `truncated` says
   * there were more than `limit`.
   */
  async careBoard(endpoint: string, limit: number): Promise<CareBoard> {
    const members = await this.#redis.zrange(
      this.#keys.careByParty(endpoint),
      "+inf",
      "-inf",
      "BYSCORE",
      "REV",
      "LIMIT",
      0,
      limit + 1,
    );
    const truncated = members.length > limit;
    const subjects = members
      .slice(0, limit)
      .map(parseItem)
      .filter((s) => s !== undefined);
    const records = await this.#itemRecords(subjects);
    const items = subjects.flatMap((s) => (records.get(itemMember(s)) ?? []).map((r) => r.item));
    const stored = await this.#storedCourses(subjects.filter((s) => s.type === "referral"));
    const courses: CareCourse[] = [];
    for (const course of stored) {
      const courseSubjects = course.members.map(parseItem).filter((s) => s !== undefined);
      const view = this.#courseView(course, courseSubjects, await this.#itemRecords(courseSubjects), OPERATOR);
      if (view !== undefined) courses.push(view);
    }
    return { items, courses, truncated };
  }

  // ---- internals ----------------------------------------------------------------------------------------

  async #batchAfter(
    key: string,
    after: { score: number; member: string } | undefined,
    count = LIST_BATCH,
  ): Promise<{ score: number; member: string }[]> {
    const out: { score: number; member: string }[] = [];
    // Members sharing `after`'s score are ordered by member; take those after it, then strictly higher scores.
    const min = after === undefined ? "-inf" : `${after.score}`;
    let offset = 0;
    while (out.length < count) {
      const flat = await this.#redis.zrange(key, min, "+inf", "BYSCORE", "LIMIT", offset, count, "WITHSCORES");
      if (flat.length === 0) break;
      for (let i = 0; i < flat.length; i += 2) {
        const position = { member: flat[i] as string, score: Number(flat[i + 1]) };
        if (after !== undefined && position.score === after.score && position.member <= after.member) continue;
        out.push(position);
      }
      offset += flat.length / 2;
    }
    return out.slice(0, count);
  }

  async #courseRecord(referral: SubjectRef): Promise<CourseRecord | undefined> {
    const text = await this.#redis.get(this.#keys.course(referral.originator, referral.id));
    return text === null ? undefined : (JSON.parse(text) as CourseRecord);
  }

  async #storedCourses(referrals: readonly SubjectRef[]): Promise<StoredCourse[]> {
    if (referrals.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const r of referrals) {
      pipeline.get(this.#keys.course(r.originator, r.id));
      pipeline.zrange(this.#keys.courseItems(r.originator, r.id), 0, -1);
    }
    const results = (await pipeline.exec()) ?? [];
    const courses: StoredCourse[] = [];
    referrals.forEach((referral, i) => {
      const text = results[i * 2]?.[1];
      const members = results[i * 2 + 1]?.[1];
      if (typeof text !== "string" || !Array.isArray(members)) return;
      courses.push({ referral, record: JSON.parse(text) as CourseRecord, members: members as string[] });
    });
    return courses;
  }

  /** Each referral or task with its appointments, as overview records: [the item, ...its appointments]. */
  async #itemRecords(subjects: readonly SubjectRef[]): Promise<Map<string, CareItemRecord[]>> {
    const states = await this.#states(subjects);
    const appointmentRefs = states.flatMap((state) =>
      state === undefined
        ? []
        : state.appointments.map((id): SubjectRef => ({ type: "appointment", originator: state.originator, id })),
    );
    const appointments = new Map<string, EntityState>();
    (await this.#states(appointmentRefs)).forEach((state, i) => {
      const ref = appointmentRefs[i];
      if (state !== undefined && ref !== undefined) appointments.set(itemMember(ref), state);
    });
    const records = new Map<string, CareItemRecord[]>();
    states.forEach((state, i) => {
      const subject = subjects[i];
      if (state === undefined || subject === undefined || !state.matched) return;
      const own = state.appointments.flatMap((id) => {
        const appointment = appointments.get(itemMember({ type: "appointment", originator: state.originator, id }));
        return appointment === undefined ? [] : [careItem(appointment)];
      });
      records.set(itemMember(subject), [careItem(state), ...own]);
    });
    return records;
  }

  async #states(subjects: readonly SubjectRef[]): Promise<(EntityState | undefined)[]> {
    if (subjects.length === 0) return [];
    const texts = await this.#redis.mget(subjects.map((s) => this.#keys.entity(s.type, s.originator, s.id)));
    return subjects.map((s, i) => {
      const text = texts[i];
      return text === null || text === undefined ? undefined : decodeEntity(s.type, s.originator, s.id, text);
    });
  }

  #courseView(
    course: StoredCourse,
    subjects: readonly SubjectRef[],
    records: ReadonlyMap<string, CareItemRecord[]>,
    viewer: CareViewer,
  ): CareCourse | undefined {
    const all = inCareOrder(subjects.flatMap((s) => records.get(itemMember(s)) ?? []));
    const visible = visibleItems(viewer, all, course.referral.originator);
    if (visible.length === 0) return undefined;
    const pkg = carePackage(course.record.package);
    const packageReferral = records.get(itemMember(course.referral))?.[0];
    return {
      id: courseId(course.referral),
      package: pkg?.code ?? "other",
      packageName: pkg?.name ?? course.record.package,
      state: courseState(
        packageReferral?.item.status ?? null,
        all.map((r) => r.item.status),
      ),
      referral: { originator: course.referral.originator, id: course.referral.id },
      items: visible.map((r) => r.item),
    };
  }
}

function parseItem(member: string): SubjectRef | undefined {
  const parsed = parseCareMember(member);
  return parsed?.kind === "item" ? parsed.subject : undefined;
}
