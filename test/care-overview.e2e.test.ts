import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildReferral, buildTaskRequisition, type MessagingOrganization } from "@carehub/medcom-fhir";
import { AuditRecord, type CareCourse, type CareListPage, type PatientOverview } from "@carehub/schemas";
import { sharedNatsUrl, sharedRedisUrl } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CarehubRun, runCarehub } from "./src/cli-process.ts";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";
import { statusTraffic } from "./src/status-traffic.ts";

/**
 * The care overview (issue 12, done-when): a KOL package course across a practice, a hospital and a municipality
 * through the real gateway, intake, router, dispatcher and tracker — package referral, planned rehabilitation,
 * booking, a reschedule, a not-attended, completion. The practice's overview shows every item with its current
 * status in order; a second practice sees nothing; the municipality sees only its items; the worklists show
 * planned items past their window and referrals not booked; `carehub rebuild` gives the same overview.
 * Every time in this suite is in April 2026, before the hub's clock (a planned window then is past): no sleeps.
 */

const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const OTHER: MessagingOrganization = { sor: "2244561000016003", gln: "5790000123124", name: "Lægehuset Syd" };
const HOSPITAL: MessagingOrganization = { sor: "1234561000016004", gln: "5790000200016", name: "Herlev Hospital" };
const MUNICIPALITY: MessagingOrganization = { sor: "953741000016009", gln: "5790001348120", name: "Herlev Kommune" };
const ORG: Record<string, MessagingOrganization> = {
  practice: PRACTICE,
  "other-practice": OTHER,
  hospital: HOSPITAL,
  municipality: MUNICIPALITY,
};
const CPR = "2509479989";
const PATIENT = { identifier: { system: "cpr" as const, value: CPR }, family: "Elmer", given: ["Bruno"] };
const PAST_WINDOW = { start: "2026-04-13T00:00:00.000Z", end: "2026-04-24T22:00:00.000Z" };
const FUTURE_WINDOW = { start: "2099-01-05T00:00:00.000Z", end: "2099-01-30T00:00:00.000Z" };

const ALL_KINDS = ["referral", "task-requisition", "status-update", "acknowledgement"] as const;
const endpoint = (id: string, kind: HarnessEndpoint["kind"]): HarnessEndpoint => {
  const org = ORG[id] as MessagingOrganization;
  return {
    id,
    name: org.name ?? id,
    kind,
    identifiers: { sor: [org.sor], gln: [org.gln] },
    sends: [...ALL_KINDS],
    accepts: [...ALL_KINDS],
  };
};
const ENDPOINTS = [
  endpoint("practice", "practice"),
  endpoint("other-practice", "practice"),
  endpoint("hospital", "hospital"),
  endpoint("municipality", "municipality"),
];

let h: Harness;
const { nextTime, send, sendStatus } = statusTraffic({ harness: () => h, organisations: ORG, patient: PATIENT });

async function sendReferral(from: string, to: string, id: string, category: "package-kol" | "hospital") {
  const messageId = randomUUID();
  const now = nextTime();
  const built = buildReferral({
    ids: { bundleId: randomUUID(), messageHeaderId: messageId },
    now,
    sender: ORG[from] as MessagingOrganization,
    receiver: ORG[to] as MessagingOrganization,
    patient: PATIENT,
    referral: { id, category, priority: "routine", reasonCode: "DJ449", authoredOn: now.slice(0, 10) },
  });
  const hubId = await send(from, built.json);
  await h.receiver(to).waitFor((d) => d.some((x) => x.messageId === messageId));
  return hubId;
}

async function sendTask(from: string, to: string, id: string, packageReferralId: string) {
  const messageId = randomUUID();
  const built = buildTaskRequisition({
    ids: { bundleId: randomUUID(), messageHeaderId: messageId },
    now: nextTime(),
    sender: ORG[from] as MessagingOrganization,
    receiver: ORG[to] as MessagingOrganization,
    patient: PATIENT,
    task: { id, code: "kol-rehabilitering", description: "KOL-rehabilitering, 8 uger", packageReferralId },
  });
  const hubId = await send(from, built.json);
  await h.receiver(to).waitFor((d) => d.some((x) => x.messageId === messageId));
  return hubId;
}

const get = (path: string, caller: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token(caller)}`, ...headers } });

async function overviewOf(caller: string): Promise<{ status: number; body: PatientOverview }> {
  const response = await get("/v1/patients/overview", caller, { "carehub-patient": CPR });
  return { status: response.status, body: (await response.json()) as PatientOverview };
}

/** Polls the practice's overview until `ready` accepts it (the tracker folds asynchronously). */
function overviewUntil(caller: string, ready: (o: PatientOverview) => boolean, what: string): Promise<PatientOverview> {
  return h.waitFor(
    async () => {
      const { status, body } = await overviewOf(caller);
      return status === 200 && ready(body) ? body : undefined;
    },
    what,
    20_000,
  );
}

const rows = (course: CareCourse | undefined) =>
  (course?.items ?? []).map((i) => [i.type, i.id, i.status, i.statedBy] as const);

let ref: string;
let otherRef: string;
let task: string;
let otherTask: string;
const stated: Record<string, string> = {};

beforeAll(async () => {
  // With the console, for its boards (the same read model seen by an operator of the hub).
  h = await startHarness({
    endpoints: ENDPOINTS,
    rules: [],
    services: ["tracker", "dispatcher", "router", "intake", "gateway", "console"],
  });
});

afterAll(async () => {
  await h?.close();
});

describe("the care overview of a KOL package course", () => {
  it("builds the course across practice, hospital and municipality; each sees what it may", async () => {
    ref = `KOL-${randomUUID()}`;
    otherRef = `KOL-${randomUUID()}`;
    task = `REHAB-${randomUUID()}`;
    otherTask = `REHAB-${randomUUID()}`;
    stated.ref = await sendReferral("practice", "hospital", ref, "package-kol");
    // A second package referral nobody books: the practice's not-booked worklist.
    await sendReferral("practice", "hospital", otherRef, "package-kol");
    stated.refReceived = (await sendStatus("hospital", "practice", { type: "referral", id: ref }, "received")).hubId;
    // The hospital plans rehabilitation with the municipality, as part of the package (it is a party of it).
    stated.task = await sendTask("hospital", "municipality", task, ref);
    stated.taskPlanned = (
      await sendStatus("municipality", "hospital", { type: "task", id: task }, "planned", {
        plannedWindow: PAST_WINDOW,
      })
    ).hubId;
    // A second task planned for a window still to come: not past its window.
    await sendTask("hospital", "municipality", otherTask, ref);
    await sendStatus("municipality", "hospital", { type: "task", id: otherTask }, "planned", {
      plannedWindow: FUTURE_WINDOW,
    });
    const forTask = { basedOn: { type: "task" as const, id: task } };
    await sendStatus("municipality", "hospital", { type: "appointment", id: "A1" }, "booked", {
      ...forTask,
      appointment: { start: "2026-04-20T09:00:00.000Z" },
    });
    await sendStatus("municipality", "hospital", { type: "appointment", id: "A1" }, "rescheduled", {
      ...forTask,
      appointment: { start: "2026-04-22T09:00:00.000Z" },
    });
    stated.a1 = (
      await sendStatus("municipality", "hospital", { type: "appointment", id: "A1" }, "no-show", forTask)
    ).hubId;

    // Worklists while the plan is past its window and the second referral lies unbooked.
    const pastWindow = await h.waitFor(
      async () => {
        const page = (await (await get("/v1/care-lists?list=past-window", "municipality")).json()) as CareListPage;
        return page.items.some((i) => i.id === task) ? page : undefined;
      },
      "the planned task on the municipality's past-window list",
      20_000,
    );
    // Catches a window compared the wrong way round: the plan for 2099 is not overdue.
    expect(pastWindow.items.map((i) => i.id)).not.toContain(otherTask);
    const notBooked = (await (await get("/v1/care-lists?list=not-booked&days=1", "practice")).json()) as CareListPage;
    // Both package referrals wait (sent, received); the course's planned tasks are on the practice's worklists
    // too (it sees its whole course) but are not waiting. Catches planned counted as waiting, or waiting left out.
    expect(notBooked.items.map((i) => i.id)).toEqual([ref, otherRef]);
    // An endpoint reads its own worklists only; an operator names the endpoint; the query string is strict.
    expect((await get("/v1/care-lists?list=not-booked&endpoint=municipality", "practice")).status).toBe(400);
    expect((await get("/v1/care-lists?list=not-booked", "operator")).status).toBe(400);
    expect((await get("/v1/care-lists?list=not-booked&patient=2509479989", "practice")).status).toBe(400);
    const asOperator = (await (
      await get("/v1/care-lists?list=past-window&endpoint=municipality", "operator")
    ).json()) as CareListPage;
    expect(asOperator.items.map((i) => i.id)).toEqual([task]);

    await sendStatus("municipality", "hospital", { type: "appointment", id: "A2" }, "booked", {
      ...forTask,
      appointment: { start: "2026-04-27T09:00:00.000Z" },
    });
    stated.a2 = (
      await sendStatus("municipality", "hospital", { type: "appointment", id: "A2" }, "completed", forTask)
    ).hubId;
    stated.taskDone = (await sendStatus("municipality", "hospital", { type: "task", id: task }, "completed")).hubId;
    // The second plan is called off; the hospital's own follow-up visit, booked for the package referral, closes it.
    stated.otherTaskCancelled = (
      await sendStatus("municipality", "hospital", { type: "task", id: otherTask }, "cancelled")
    ).hubId;
    const forReferral = { basedOn: { type: "referral" as const, id: ref } };
    await sendStatus("hospital", "practice", { type: "appointment", id: "H1" }, "booked", {
      ...forReferral,
      appointment: { start: "2026-05-04T10:00:00.000Z" },
    });
    stated.h1 = (
      await sendStatus("hospital", "practice", { type: "appointment", id: "H1" }, "completed", forReferral)
    ).hubId;

    const practiceView = await overviewUntil(
      "practice",
      (o) => o.courses.find((c) => c.referral.id === ref)?.state === "completed",
      "the practice's course completed",
    );
    const course = practiceView.courses.find((c) => c.referral.id === ref);
    expect(course).toMatchObject({ id: `practice:${ref}`, package: "package-kol", state: "completed" });
    // Every item, current status, the message that stated it, in the order they were first stated.
    expect(rows(course)).toEqual([
      ["referral", ref, "completed", stated.h1],
      ["task", task, "completed", stated.taskDone],
      ["task", otherTask, "cancelled", stated.otherTaskCancelled],
      ["appointment", "A1", "no-show", stated.a1],
      ["appointment", "A2", "completed", stated.a2],
      ["appointment", "H1", "completed", stated.h1],
    ]);
    expect(course?.items.find((i) => i.id === "H1")?.performers).toEqual(["hospital"]);
    const a1 = course?.items.find((i) => i.id === "A1");
    expect(a1?.changes.map((c) => c.status)).toEqual(["booked", "rescheduled", "no-show"]);
    expect(a1?.performers).toEqual(["municipality"]);
    expect(course?.items.find((i) => i.id === task)?.changes.map((c) => [c.status, c.statedBy])).toEqual([
      ["requested", stated.task],
      ["planned", stated.taskPlanned],
      ["completed", stated.taskDone],
    ]);

    // Catches the access rule opened to every endpoint: a practice with no part sees nothing (404, like nothing).
    expect((await overviewOf("other-practice")).status).toBe(404);
    expect((await get(`/v1/courses/practice:${ref}`, "other-practice")).status).toBe(404);

    // Catches the municipality given the whole course: only the task it performs and its appointments.
    const municipalityView = await overviewOf("municipality");
    expect(municipalityView.status).toBe(200);
    expect(rows(municipalityView.body.courses[0]).map(([type, id]) => `${type}:${id}`)).toEqual([
      `task:${task}`,
      `task:${otherTask}`,
      "appointment:A1",
      "appointment:A2",
    ]);
    const asCourse = (await (await get(`/v1/courses/practice:${ref}`, "municipality")).json()) as CareCourse;
    expect(asCourse.items.map((i) => i.id)).toEqual([task, otherTask, "A1", "A2"]);

    // The CPR number goes in a header, never the URL; it is in no access record, only its keyed hash.
    expect((await get("/v1/patients/overview", "practice")).status).toBe(400);
    const audit = (await h.streamMessages("audit")).map((m) => Buffer.from(m.data).toString());
    const reads = audit
      .map((text) => AuditRecord.parse(JSON.parse(text)))
      .filter((r) => r.action === "patient.overview");
    // Every read is on the record: the practice's and the municipality's answered, the stranger's denied (it got
    // the same 404 as for no such patient; catches the record unable to tell them apart).
    const answered = reads.filter((r) => r.outcome.result !== "invalid");
    expect(
      new Set(answered.map((r) => `${r.actor.type === "endpoint" ? r.actor.id : ""}:${r.outcome.result}`)),
    ).toEqual(new Set(["practice:ok", "municipality:ok", "other-practice:denied"]));
    expect(answered.every((r) => (r.query?.patientHash ?? "").length > 20)).toBe(true);
    expect(answered.find((r) => r.actor.type === "endpoint" && r.actor.id === "municipality")?.resources).toEqual(
      expect.arrayContaining([
        { type: "course", id: `practice:${ref}` },
        { type: "appointment", id: "hospital/A1" },
      ]),
    );
    expect(audit.join("\n")).not.toContain(CPR);
  });

  it("the console's board shows the practice's course and items by status, each with its history", async () => {
    const session = await fetch(`${h.hub.consoleUrl}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: h.token("operator") }),
    });
    expect(session.status).toBe(200);
    const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const response = await fetch(`${h.hub.consoleUrl}/api/boards?endpoint=practice`, { headers: { cookie } });
    expect(response.status).toBe(200);
    const text = await response.text();
    const board = JSON.parse(text) as {
      items: Array<{ type: string; id: string; status: string | null; changes: Array<{ statedBy: string }> }>;
      courses: CareCourse[];
      columns: Record<string, Array<{ status: string; total: number }>>;
    };
    // The course the practice referred, in the lane of its state; every item of it on the practice's board.
    expect(board.courses.map((c) => c.id)).toContain(`practice:${ref}`);
    const course = board.courses.find((c) => c.id === `practice:${ref}`);
    expect(board.columns.course?.find((l) => l.status === course?.state)?.total).toBeGreaterThanOrEqual(1);
    const task_ = board.items.find((i) => i.type === "task" && i.id === task);
    // Drill-down: the task's history names the messages that stated each status.
    expect(task_?.changes.map((c) => c.statedBy)).toEqual([stated.task, stated.taskPlanned, stated.taskDone]);
    expect(board.columns.task?.find((l) => l.status === "completed")?.total).toBeGreaterThanOrEqual(1);
    // A board names no patient (catches a course's patient hash or the CPR number leaking into the answer).
    expect(text).not.toContain(CPR);
    expect(text).not.toContain("patientHash");
    const records = (await h.streamMessages("audit"))
      .map((m) => AuditRecord.parse(JSON.parse(Buffer.from(m.data).toString())))
      .filter((r) => r.action === "care-list.list" && r.query?.list === "board");
    expect(records).toHaveLength(1);
    expect(records[0]?.query?.endpoint).toBe("practice");
    expect(records[0]?.resources).toEqual(expect.arrayContaining([{ type: "task", id: `hospital/${task}` }]));
  });

  it("carehub rebuild restores the same overview from the streams", async () => {
    const before = await overviewOf("practice");
    expect(before.status).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), "carehub-overview-"));
    try {
      const registryPath = join(dir, "endpoints.json");
      await writeFile(registryPath, JSON.stringify(h.registry));
      const run = await rebuild({ CAREHUB_REGISTRY: registryPath, CAREHUB_NAMESPACE: h.namespace });
      expect(run.code, run.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Catches course membership or the patient index left out of the rebuild (kept only by the live tracker).
    expect(await overviewOf("practice")).toEqual(before);
  });
});

function rebuild(env: Record<string, string>): Promise<CarehubRun> {
  return runCarehub(["rebuild", "--yes", "--json"], {
    ...process.env,
    NATS_URL: sharedNatsUrl(),
    REDIS_URL: sharedRedisUrl(),
    LOG_LEVEL: "warn",
    ...env,
  });
}
