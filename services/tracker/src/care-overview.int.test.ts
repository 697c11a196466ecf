import type { Envelope } from "@carehub/schemas";
import { type CareViewer, createStore, type ReadModelStore } from "@carehub/store";
import { cleanupNamespace, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldEnvelope } from "./envelope-handler.ts";
import {
  envelopeOf,
  GP,
  HOSPITAL,
  HUB,
  MUNICIPALITY,
  statusUpdate,
  trackerRegistry,
} from "./tracker-fixtures.test-support.ts";

/*
 * The care overview as the tracker builds it (issue 12), against the real Redis: envelopes folded as the tracker
 * folds them (no NATS needed: the fold is the tracker's whole part), read back through the store's queries.
 * Package referral → course; a task naming it joins only when its sender is a party and the patient is the same;
 * the access rule; the worklists; and that any fold order gives the same overview.
 */

const registry = trackerRegistry();
const OTHER_GP = { id: "other-gp", sor: "0", gln: "0" };
const PATIENT = { system: "cpr" as const, value: "2509479989" };
const OTHER_PATIENT = { system: "cpr" as const, value: "0101801234" };
const T0 = Date.parse("2026-04-01T08:00:00Z");
const H = 3_600_000;
const DAY = 24 * H;
let redis: Redis;
const namespaces: string[] = [];

function storeIn(namespace: string): ReadModelStore {
  namespaces.push(namespace);
  return createStore({ redis, namespace, retentionDays: 3_650, patientHashKey: "care-overview-test-key-0123" });
}

const fold = (store: ReadModelStore, envelope: Envelope) =>
  foldEnvelope({ store, hubEndpointId: HUB.id, resolver: registry }, envelope);

const packageReferral = (hubId: string, id: string, at: number, patient = PATIENT) =>
  envelopeOf(hubId, GP, HOSPITAL, { kind: "referral", referralId: id, category: "package-kol" }, at, { patient });

const task = (hubId: string, from: typeof GP, id: string, packageReferralId: string, at: number, patient = PATIENT) =>
  envelopeOf(
    hubId,
    from,
    MUNICIPALITY,
    { kind: "task-requisition", taskId: id, code: "rehab", packageReferralId },
    at,
    {
      patient,
    },
  );

/** A KOL course: package referral, a rehabilitation task from the hospital, its plan, a booking and a no-show. */
function kolCourse(): Envelope[] {
  return [
    packageReferral("h-ref", "KOL-1", T0),
    statusUpdate("h-rec", HOSPITAL, GP, { type: "referral", id: "KOL-1" }, "received", T0 + H),
    task("h-task", HOSPITAL, "T-1", "KOL-1", T0 + 2 * H),
    statusUpdate("h-plan", MUNICIPALITY, HOSPITAL, { type: "task", id: "T-1" }, "planned", T0 + 3 * H, {}),
    statusUpdate("h-a1", MUNICIPALITY, HOSPITAL, { type: "appointment", id: "A-1" }, "booked", T0 + 4 * H, {
      basedOn: { type: "task", id: "T-1" },
      appointment: { start: "2026-04-10T09:00:00.000Z" },
    }),
    statusUpdate("h-a1x", MUNICIPALITY, HOSPITAL, { type: "appointment", id: "A-1" }, "no-show", T0 + 5 * H, {
      basedOn: { type: "task", id: "T-1" },
    }),
  ].map((e) => ({ ...e, patient: PATIENT }));
}

const OPERATOR: CareViewer = { kind: "operator" };
const as = (id: string): CareViewer => ({ kind: "endpoint", id });

beforeAll(() => {
  redis = new Redis(sharedRedisUrl());
});

afterAll(async () => {
  for (const namespace of namespaces) await cleanupNamespace({ namespace, redis });
  redis.disconnect();
});

describe("the care overview the tracker builds", () => {
  it("groups the package referral, the task naming it and the task's appointment into one course", async () => {
    const store = storeIn(testNamespace("care"));
    for (const envelope of kolCourse()) await fold(store, envelope);
    const overview = await store.patientOverview(PATIENT.value, OPERATOR);
    expect(overview?.items).toEqual([]);
    const course = overview?.courses[0];
    expect(course).toMatchObject({ id: "gp-clinic:KOL-1", package: "package-kol", state: "in-progress" });
    expect(course?.items.map((i) => [i.type, i.id, i.status, i.statedBy])).toEqual([
      ["referral", "KOL-1", "received", "h-rec"],
      ["task", "T-1", "planned", "h-plan"],
      ["appointment", "A-1", "no-show", "h-a1x"],
    ]);
    // The course by id answers the same course.
    expect(await store.getCourse("gp-clinic:KOL-1", OPERATOR)).toEqual(course);
  });

  it("the referring practice sees every item; the municipality its own; a stranger nothing", async () => {
    const store = storeIn(testNamespace("care"));
    for (const envelope of kolCourse()) await fold(store, envelope);
    const ids = async (viewer: CareViewer) =>
      (await store.patientOverview(PATIENT.value, viewer))?.courses.flatMap((c) => c.items.map((i) => i.id));
    // Catches the owner rule lost: the practice is party to the referral only, yet sees the whole course.
    expect(await ids(as(GP.id))).toEqual(["KOL-1", "T-1", "A-1"]);
    // Catches party-of-the-course instead of party-of-the-item: the municipality never saw the package referral.
    expect(await ids(as(MUNICIPALITY.id))).toEqual(["T-1", "A-1"]);
    expect(await store.patientOverview(PATIENT.value, as("other-gp"))).toBeUndefined();
    expect(await store.getCourse("gp-clinic:KOL-1", as("other-gp"))).toBeUndefined();
    // A stranger repeating the municipality's no-show (same status, same instant) merges into that fact; catches
    // every reporter of a standing fact counted as the appointment's party, which would show the stranger the course.
    await fold(
      store,
      statusUpdate("h-echo", OTHER_GP, HOSPITAL, { type: "appointment", id: "A-1" }, "no-show", T0 + 5 * H, {
        basedOn: { type: "task", id: "T-1" },
      }),
    );
    expect(await store.patientOverview(PATIENT.value, as("other-gp"))).toBeUndefined();
  });

  it("a task joins no course when its sender has no part in the package referral, or its patient differs", async () => {
    const store = storeIn(testNamespace("care"));
    await fold(store, packageReferral("h-ref", "KOL-2", T0));
    // The municipality was never sent KOL-2: naming it gives no place in the practice's course.
    await fold(store, task("h-stranger", MUNICIPALITY, "T-X", "KOL-2", T0 + H));
    // The hospital is a party, but names another patient: filing it under this course would show it to the wrong
    // patient's practice.
    await fold(store, task("h-wrong", HOSPITAL, "T-Y", "KOL-2", T0 + 2 * H, OTHER_PATIENT));
    const course = await store.getCourse("gp-clinic:KOL-2", OPERATOR);
    expect(course?.items.map((i) => i.id)).toEqual(["KOL-2"]);
    const outside = await store.patientOverview(PATIENT.value, OPERATOR);
    expect(outside?.items.map((i) => i.id)).toEqual(["T-X"]);
    // Nor does the practice see the stranger's task through its course.
    expect((await store.patientOverview(PATIENT.value, as(GP.id)))?.items).toEqual([]);
  });

  it("worklists: not booked for N days, planned past its window, booked in the past with no outcome", async () => {
    const store = storeIn(testNamespace("care"));
    const window = (start: number, end: number) => ({
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    });
    await fold(store, packageReferral("l-ref", "KOL-3", T0));
    await fold(store, task("l-t1", HOSPITAL, "T-1", "KOL-3", T0 + H));
    await fold(store, task("l-t2", HOSPITAL, "T-2", "KOL-3", T0 + 2 * H));
    await fold(store, task("l-t3", HOSPITAL, "T-3", "KOL-3", T0 + 3 * H));
    const planned = (hubId: string, id: string, w: { start: string; end: string }) =>
      fold(store, {
        ...statusUpdate(hubId, MUNICIPALITY, HOSPITAL, { type: "task", id }, "planned", T0 + 4 * H),
        content: {
          kind: "status-update",
          subject: { type: "task", id },
          status: "planned",
          occurredAt: new Date(T0 + 4 * H).toISOString(),
          plannedWindow: w,
        },
      });
    await planned("l-p1", "T-1", window(T0 + 5 * DAY, T0 + 10 * DAY));
    await planned("l-p2", "T-2", window(T0 + 10 * DAY, T0 + 20 * DAY));
    await fold(
      store,
      statusUpdate("l-b", MUNICIPALITY, HOSPITAL, { type: "appointment", id: "A-3" }, "booked", T0 + 5 * H, {
        basedOn: { type: "task", id: "T-3" },
        appointment: { start: new Date(T0 + 12 * DAY).toISOString() },
      }),
    );
    const now = T0 + 15 * DAY;
    const list = async (name: "not-booked" | "past-window" | "booked-no-outcome", endpoint: string, days = 14) =>
      (await store.careList({ list: name, endpoint, days, limit: 50 }, now)).items.map((i) => i.id);
    // Catches the window's start taken for its end (T-2's window has begun, not ended) or the comparison reversed.
    expect(await list("past-window", MUNICIPALITY.id)).toEqual(["T-1"]);
    // The package referral and T-3 (requested; only its appointment was booked) wait for 15 days; the planned
    // tasks do not wait. A 16-day threshold lists neither.
    expect(await list("not-booked", GP.id)).toEqual(["KOL-3", "T-3"]);
    expect(await list("not-booked", GP.id, 16)).toEqual([]);
    // T-3 is requested (not planned) but its appointment's time has passed with no outcome.
    expect(await list("booked-no-outcome", HOSPITAL.id)).toEqual(["T-3"]);
    // The practice sees the items of its course on its worklists too.
    expect(await list("past-window", GP.id)).toEqual(["T-1"]);
    expect(await list("past-window", OTHER_GP.id)).toEqual([]);
  });

  it("pages a worklist with a cursor, every item once", async () => {
    const store = storeIn(testNamespace("care"));
    for (let i = 0; i < 7; i++) await fold(store, packageReferral(`p-${i}`, `KOL-P${i}`, T0 + i * H));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.careList(
        { list: "not-booked", endpoint: GP.id, days: 0, limit: 3, ...(cursor === undefined ? {} : { cursor }) },
        T0 + DAY,
      );
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(["KOL-P0", "KOL-P1", "KOL-P2", "KOL-P3", "KOL-P4", "KOL-P5", "KOL-P6"]);
  });

  it("boards: what an endpoint is a party to, newest first with appointments, and the courses it referred", async () => {
    const store = storeIn(testNamespace("care"));
    for (const envelope of kolCourse()) await fold(store, envelope);
    const gp = await store.careBoard(GP.id, 50);
    // Catches: appointments left out (they are not in the party index themselves), or oldest first.
    expect(gp.items.map((i) => [i.type, i.id, i.status])).toEqual([
      ["task", "T-1", "planned"],
      ["appointment", "A-1", "no-show"],
      ["referral", "KOL-1", "received"],
    ]);
    expect(gp.courses.map((c) => [c.id, c.state, c.items.length])).toEqual([["gp-clinic:KOL-1", "in-progress", 3]]);
    expect(gp.truncated).toBe(false);
    // The municipality is party to the task only: no course on its board (it never saw the package referral).
    const municipality = await store.careBoard(MUNICIPALITY.id, 50);
    expect(municipality.items.map((i) => i.id)).toEqual(["T-1", "A-1"]);
    expect(municipality.courses).toEqual([]);
    // Catches an unbounded read: a board never reads more than its limit, and says there was more.
    const first = await store.careBoard(GP.id, 1);
    expect(first.items.map((i) => i.id)).toEqual(["T-1", "A-1"]);
    expect(first.truncated).toBe(true);
  });

  it("gives the same overview whatever order the tracker folded the messages in", async () => {
    const inOrder = storeIn(testNamespace("care"));
    const reversed = storeIn(testNamespace("care"));
    const course = kolCourse();
    for (const envelope of course) await fold(inOrder, envelope);
    // The package referral first (a task naming it before it exists joins nothing: docs/contracts.md), the rest
    // in reverse.
    const [first, ...rest] = course;
    for (const envelope of [first as Envelope, ...rest.reverse()]) await fold(reversed, envelope);
    expect(await reversed.patientOverview(PATIENT.value, OPERATOR)).toEqual(
      await inOrder.patientOverview(PATIENT.value, OPERATOR),
    );
  });
});
