import { createHmac, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { buildReferral, buildTaskRequisition, type MessagingOrganization } from "@carehub/medcom-fhir";
import { createLogger, startTracing, type TracingHandle } from "@carehub/observability";
import { AuditRecord, type EntityPage, type MessagePage } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type HarnessEndpoint, startHarness } from "./src/harness.ts";

/**
 * The query API tells the truth and leaks nothing (issue 9, items 3 and 7), through a whole hub over real HTTP:
 * `patient=` finds exactly one patient's messages, referrals and tasks — everywhere for an operator, only among
 * its own for an endpoint; a parameter a route does not accept is refused with 400 and the accepted ones, never
 * ignored; the access record names exactly the filters applied, a patient only by the configured keyed hash;
 * and a CPR number sent in a path, a query or a body comes back in no answer and appears in no log line, access
 * record or metric.
 */

const KEY = "trust-queries-e2e-patient-key";
const CPR_A = "2509479989";
const CPR_B = "0707614285";
/** Sent where no CPR belongs (paths, parameter names and values, a body) to see that nothing repeats it. */
const PROBE = "0101901234";
const forms = (cpr: string) => [cpr, `${cpr.slice(0, 6)}-${cpr.slice(6)}`];
const EVERY_CPR = [CPR_A, CPR_B, PROBE].flatMap(forms);
/** The read model's keyed hash as docs/contracts.md defines it: HMAC-SHA256(key, CPR digits), base64url. */
const keyedHash = (cpr: string) => createHmac("sha256", KEY).update(cpr).digest("base64url");

const PRACTICE: MessagingOrganization = { sor: "1144561000016002", gln: "5790000123117", name: "Lægerne i Byen" };
const HOSPITAL: MessagingOrganization = { sor: "265161000016000", gln: "5790000209354", name: "Herlev Hospital" };
const CLINIC: MessagingOrganization = { sor: "52581000016005", gln: "5790000127092", name: "Øjenklinikken" };
const MUNICIPALITY: MessagingOrganization = { sor: "953741000016009", gln: "5790001348120", name: "Herlev Kommune" };
const org = (o: MessagingOrganization) => ({ sor: [o.sor], gln: [o.gln] });
const ACK = "acknowledgement" as const;
const ENDPOINTS: HarnessEndpoint[] = [
  {
    id: "practice",
    name: "Lægerne i Byen",
    kind: "practice",
    identifiers: org(PRACTICE),
    sends: ["referral", "task-requisition", ACK],
    accepts: ["status-update", ACK],
  },
  {
    id: "hospital",
    name: "Herlev Hospital",
    kind: "hospital",
    identifiers: org(HOSPITAL),
    sends: [ACK],
    accepts: ["referral", ACK],
  },
  {
    id: "clinic",
    name: "Øjenklinikken",
    kind: "hospital",
    identifiers: org(CLINIC),
    sends: [ACK],
    accepts: ["referral", ACK],
  },
  {
    id: "municipality",
    name: "Herlev Kommune",
    kind: "municipality",
    identifiers: org(MUNICIPALITY),
    sends: [ACK],
    accepts: ["task-requisition", ACK],
  },
];

const logLines: string[] = [];
const responseBodies: string[] = [];
let h: Harness;
let tracing: TracingHandle;
/** Patient A: a referral to the hospital and a task to the municipality. Patient B: a referral to the clinic. */
const sent = { referralA: "", taskA: "", referralB: "" };
const ids = { referralA: `ref-${randomUUID()}`, taskA: `task-${randomUUID()}`, referralB: `ref-${randomUUID()}` };

const patient = (cpr: string) => ({
  identifier: { system: "cpr" as const, value: cpr },
  family: "Elmer",
  given: ["Bo"],
});
const now = () => new Date().toISOString();

async function send(json: string): Promise<string> {
  const response = await h.send("practice", json, "application/fhir+json");
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

function referral(id: string, cpr: string, receiver: MessagingOrganization): string {
  const at = now();
  return buildReferral({
    ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
    now: at,
    sender: PRACTICE,
    receiver,
    patient: patient(cpr),
    referral: { id, category: "hospital", priority: "routine", reasonCode: "DJ449", authoredOn: at.slice(0, 10) },
  }).json;
}

/** A GET as `who` (an endpoint or the operator); every answer body is kept for the no-echo check. */
async function get(who: string | undefined, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(`${h.url}${path}`, {
    headers: { ...headers, ...(who === undefined ? {} : { authorization: `Bearer ${h.token(who)}` }) },
  });
  const text = await response.text();
  responseBodies.push(text);
  return new Response(text, { status: response.status, headers: response.headers });
}

async function hubIdsOf(who: string, path: string): Promise<string[]> {
  const response = await get(who, path);
  expect(response.status, path).toBe(200);
  return ((await response.json()) as MessagePage).items.map((m) => m.hubId).sort();
}

async function entityIdsOf(who: string, path: string): Promise<string[]> {
  const response = await get(who, path);
  expect(response.status, path).toBe(200);
  return ((await response.json()) as EntityPage).items.map((e) => e.id).sort();
}

async function auditRecords(): Promise<AuditRecord[]> {
  return (await h.streamMessages("audit")).map((m) => AuditRecord.parse(JSON.parse(Buffer.from(m.data).toString())));
}

async function recordOf(response: Response): Promise<AuditRecord> {
  const requestId = response.headers.get("carehub-request-id");
  const records = (await auditRecords()).filter((r) => r.request.id === requestId);
  expect(records).toHaveLength(1);
  return records[0] as AuditRecord;
}

beforeAll(async () => {
  const logs = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  h = await startHarness({
    endpoints: ENDPOINTS,
    rules: [],
    config: { patientHashKey: KEY },
    logger: createLogger({ name: "carehub", level: "debug", destination: logs }),
  });
  // Every span of every in-process service from here on is kept, to be searched for CPR numbers.
  tracing = startTracing({ exporter: "memory" });
  sent.referralA = await send(referral(ids.referralA, CPR_A, HOSPITAL));
  sent.referralB = await send(referral(ids.referralB, CPR_B, CLINIC));
  sent.taskA = await send(
    buildTaskRequisition({
      ids: { bundleId: randomUUID(), messageHeaderId: randomUUID() },
      now: now(),
      sender: PRACTICE,
      receiver: MUNICIPALITY,
      patient: patient(CPR_A),
      task: { id: ids.taskA, code: "wound-care", description: "Sårpleje", dueDate: "2026-03-09" },
    }).json,
  );
  // Folded by the tracker: the referrals and the task exist, each message filed under its patient.
  await h.waitFor(
    async () => ((await entityIdsOf("operator", `/v1/tasks?patient=${CPR_A}`)).length === 1 ? true : undefined),
    "the task in the read model",
    20_000,
  );
  for (const [cpr, count] of [
    [CPR_A, 2],
    [CPR_B, 1],
  ] as const) {
    await h.waitFor(
      async () => ((await hubIdsOf("operator", `/v1/messages?patient=${cpr}`)).length === count ? true : undefined),
      "every message filed under its patient",
      20_000,
    );
  }
});

afterAll(async () => {
  await tracing?.shutdown();
  await h?.close();
});

describe("patient search", () => {
  it("finds exactly one patient's messages for an operator, with or without the dash", async () => {
    expect(await hubIdsOf("operator", `/v1/messages?patient=${CPR_A}`)).toEqual([sent.referralA, sent.taskA].sort());
    expect(await hubIdsOf("operator", `/v1/messages?patient=${forms(CPR_A)[1]}`)).toEqual(
      [sent.referralA, sent.taskA].sort(),
    );
    expect(await hubIdsOf("operator", `/v1/messages?patient=${CPR_B}`)).toEqual([sent.referralB]);
    expect(await hubIdsOf("operator", `/v1/messages?patient=${PROBE}&kind=referral`)).toEqual([]);
  });

  it("finds nothing outside an endpoint's own messages", async () => {
    expect(await hubIdsOf("hospital", `/v1/messages?receiver=hospital&patient=${CPR_A}`)).toEqual([sent.referralA]);
    // Patient B's referral went to the clinic: the hospital learns nothing about it.
    expect(await hubIdsOf("hospital", `/v1/messages?receiver=hospital&patient=${CPR_B}`)).toEqual([]);
    expect(await hubIdsOf("clinic", `/v1/messages?receiver=clinic&patient=${CPR_B}`)).toEqual([sent.referralB]);
    // Pretending to be the sender does not widen the scope: only the caller itself can be named.
    const unscoped = await get("hospital", `/v1/messages?patient=${CPR_B}`);
    expect(unscoped.status).toBe(400);
    expect(((await unscoped.json()) as { code: string }).code).toBe("CAREHUB_ERR_QUERY_OUT_OF_SCOPE");
    const posing = await get("hospital", `/v1/messages?sender=practice&patient=${CPR_B}`);
    expect(posing.status).toBe(400);
  });

  it("finds a patient's referrals and tasks: all for an operator, only its own for an endpoint", async () => {
    expect(await entityIdsOf("operator", `/v1/referrals?patient=${CPR_A}`)).toEqual([ids.referralA]);
    expect(await entityIdsOf("operator", `/v1/referrals?patient=${CPR_B}`)).toEqual([ids.referralB]);
    expect(await entityIdsOf("operator", `/v1/tasks?patient=${CPR_A}`)).toEqual([ids.taskA]);
    expect(await entityIdsOf("operator", `/v1/tasks?patient=${CPR_B}`)).toEqual([]);
    expect(await entityIdsOf("hospital", `/v1/referrals?patient=${CPR_A}`)).toEqual([ids.referralA]);
    expect(await entityIdsOf("hospital", `/v1/referrals?patient=${CPR_B}`)).toEqual([]);
    expect(await entityIdsOf("clinic", `/v1/referrals?patient=${CPR_B}`)).toEqual([ids.referralB]);
    expect(await entityIdsOf("hospital", `/v1/tasks?patient=${CPR_A}`)).toEqual([]);
    expect(await entityIdsOf("municipality", `/v1/tasks?patient=${CPR_A}`)).toEqual([ids.taskA]);
    expect(await entityIdsOf("practice", `/v1/referrals?patient=${CPR_B}`)).toEqual([ids.referralB]);
  });
});

describe("query parameters", () => {
  it.each([
    ["/v1/messages?cpr=", ["sender", "receiver", "kind", "status", "from", "to", "patient", "cursor", "limit"]],
    ["/v1/messages?patientId=", ["sender", "receiver", "kind", "status", "from", "to", "patient", "cursor", "limit"]],
    ["/v1/referrals?cpr=", ["patient", "limit"]],
    ["/v1/tasks?patient=2509479989&cpr=", ["patient", "limit"]],
    ["/v1/messages/some-id?cpr=", []],
    ["/v1/referrals/some-id?patient=", []],
    ["/v1/tasks/some-id?cpr=", []],
    ["/v1/stats?cpr=", []],
  ])("%s refuses the unknown parameter with 400, naming the accepted ones", async (path, accepted) => {
    const response = await get("operator", `${path}${PROBE}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: "CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN",
      message: expect.stringContaining("accepted parameters"),
      acceptedParameters: accepted,
    });
  });

  it("refuses an invalid value without repeating it", async () => {
    const response = await get("operator", `/v1/messages?kind=${PROBE}&limit=many`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "CAREHUB_ERR_QUERY_INVALID",
      message:
        "invalid value for kind, limit; accepted parameters: sender, receiver, kind, status, from, to, patient, cursor, limit",
    });
  });
});

describe("access records", () => {
  it("name exactly the filters applied, the patient only by the configured keyed hash", async () => {
    const listing = await get("hospital", `/v1/messages?receiver=hospital&kind=referral&patient=${forms(CPR_A)[1]}`);
    expect(listing.status).toBe(200);
    expect(await recordOf(listing)).toMatchObject({
      action: "message.list",
      query: { receiver: "hospital", kind: "referral", patientHash: keyedHash(CPR_A) },
      resources: [{ type: "message", id: sent.referralA }],
      outcome: { status: 200, result: "ok", count: 1 },
    });
    expect((await recordOf(listing)).query).toEqual({
      receiver: "hospital",
      kind: "referral",
      patientHash: keyedHash(CPR_A),
    });
    const referrals = await get("operator", `/v1/referrals?patient=${CPR_B}`);
    expect(await recordOf(referrals)).toMatchObject({
      action: "referral.list",
      query: { patientHash: keyedHash(CPR_B) },
      resources: [{ type: "referral", id: ids.referralB }],
    });
  });

  it("say that nothing was applied when the parameters were refused", async () => {
    // The bug of issue 9: `cpr=` used to be ignored while the record claimed a patient filter.
    const refused = await get("operator", `/v1/messages?cpr=${CPR_A}&kind=referral`);
    expect(refused.status).toBe(400);
    const record = await recordOf(refused);
    expect(record.query).toEqual({ otherParameters: ["cpr"] });
    expect(record.outcome).toMatchObject({ result: "invalid", count: 0, code: "CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN" });
  });
});

describe("nothing echoes a CPR number", () => {
  it("answers requests carrying one in a path, a query or a body without repeating it", async () => {
    const answers: Response[] = [
      await get("operator", `/v1/messages/${PROBE}`),
      await get("operator", `/v1/referrals/${forms(PROBE)[1]}`),
      await get("hospital", `/v1/tasks/${PROBE}`),
      await get("operator", `/v1/nosuch/${PROBE}`),
      await get("operator", `/v1/messages/${PROBE}%zz`),
      await get(undefined, `/v1/messages/${PROBE}`),
      await get("operator", `/v1/messages?${PROBE}=1`),
      await get("operator", `/v1/messages?from=${PROBE}`),
      await get("operator", `/v1/messages?sender=${PROBE}`, { "user-agent": `probe ${PROBE}` }),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 400, 401, 400, 400, 200]);
    const posts = [
      await h.send("practice", `{"resourceType":"Bundle","id":"${PROBE}"}`, "text/plain"),
      await h.send("practice", `<?xml version="1.0" encoding="${PROBE}"?><a>${PROBE}</a>`, "application/xml"),
      await h.send("practice", `{"resourceType":"Bundle","id":"${PROBE}","entry":[]}`, "application/fhir+json"),
    ];
    expect(posts.map((p) => p.status)).toEqual([415, 400, 202]);
    for (const post of posts) responseBodies.push(await post.text());
    expect(await (await fetch(`${h.url}/v1/messages/${PROBE}`, { method: "DELETE" })).text()).not.toContain(PROBE);

    for (const body of responseBodies) for (const cpr of EVERY_CPR) expect(body).not.toContain(cpr);
  });

  it("leaves none in an access record, a log line, a metric or a span", async () => {
    const records = JSON.stringify(await auditRecords());
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    const spans = tracing.finishedSpans();
    const spanText = JSON.stringify(
      spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    expect(logLines.length).toBeGreaterThan(0);
    expect(spans.map((s) => s.name)).toContain("gateway receive");
    for (const cpr of EVERY_CPR) {
      expect(records).not.toContain(cpr);
      expect(metrics).not.toContain(cpr);
      expect(spanText).not.toContain(cpr);
      expect(logLines.filter((line) => line.includes(cpr))).toEqual([]);
    }
  });
});
