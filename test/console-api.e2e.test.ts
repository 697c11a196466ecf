import { AuditRecord, type MessageLifecycle, type MessagePage } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";
import { HOMECARE_CPR as CPR, freshHomecare, HOMECARE } from "./src/homecare-traffic.ts";

/**
 * The console's API on a whole hub (`carehub start --all` with the console): sign-in with an operator's registry
 * token into an HttpOnly, SameSite=Strict session kept in Redis with a TTL; roles enforced on the server (a
 * viewer is refused payloads and patient search, and the refusal is an access record); the message browser
 * finds a message by each key; payload views and patient searches are access records holding no CPR number;
 * the live flow counts what passes.
 */

let h: Harness;
let consoleUrl: string;
let hubId: string;
let record: MessageLifecycle;

async function signIn(token: string): Promise<Response> {
  return fetch(`${consoleUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
}

/** The session cookie (`name=value`) a sign-in answered. */
async function sessionOf(operator: string): Promise<string> {
  const response = await signIn(h.token(operator));
  expect(response.status).toBe(200);
  return (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

function call(cookie: string | undefined, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${consoleUrl}${path}`, {
    method,
    headers: {
      ...(cookie === undefined ? {} : { cookie }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function auditRecords(): Promise<AuditRecord[]> {
  return (await h.streamMessages("audit")).map((m) => AuditRecord.parse(JSON.parse(Buffer.from(m.data).toString())));
}

async function search(cookie: string, filters: Record<string, unknown>): Promise<string[]> {
  const response = await call(cookie, "POST", "/api/messages/search", filters);
  expect(response.status, JSON.stringify(filters)).toBe(200);
  return ((await response.json()) as MessagePage).items.map((m) => m.hubId);
}

beforeAll(async () => {
  h = await startHarness({
    // One attempt at the practice: a message sent while it is down is dead-lettered at once (the re-run tests).
    endpoints: defaultEndpoints().map((e) => (e.id === "practice" ? { ...e, maxDeliveryAttempts: 1 } : e)),
    services: ["tracker", "dispatcher", "router", "intake", "gateway", "console"],
    operators: ["operator", "viewer", "admin"],
    operatorRoles: { operator: "operator", viewer: "viewer", admin: "admin" },
    // In a file the hub watches, so a test can demote and remove an operator.
    registryFile: true,
  });
  consoleUrl = h.hub.consoleUrl ?? "";
  expect(consoleUrl).toMatch(/^http:/);
  const response = await h.send("acute-team", HOMECARE, "application/fhir+json");
  expect(response.status).toBe(202);
  hubId = ((await response.json()) as { id: string }).id;
  record = await h.waitFor(async () => {
    const answer = await fetch(`${h.url}/v1/messages/${hubId}`, {
      headers: { authorization: `Bearer ${h.token("operator")}` },
    });
    const lifecycle = (await answer.json()) as MessageLifecycle;
    // Delivered: the status it keeps for the rest of the file (the test receivers send no acknowledgement).
    return answer.status === 200 && lifecycle.status === "delivered" ? lifecycle : undefined;
  }, "the message delivered in the read model");
});

afterAll(async () => {
  await h?.close();
});

describe("console sign-in", () => {
  it("signs an operator in with a registry token into an HttpOnly, SameSite=Strict cookie, role from the registry", async () => {
    const response = await signIn(h.token("viewer"));
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^carehub_console=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Max-Age=1800");
    // The hub listens on loopback here: CAREHUB_CONSOLE_SECURE_COOKIES' default (auto) leaves Secure off.
    expect(cookie).not.toContain("Secure");
    expect(await response.json()).toMatchObject({ operator: { id: "viewer", role: "viewer" }, permissions: [] });
    const me = await call(cookie.split(";")[0], "GET", "/api/session");
    expect(await me.json()).toMatchObject({ operator: { id: "viewer", role: "viewer" } });
  });

  it("does not record a sign-in, a sign-out or a session check as an access record (nothing was looked at)", async () => {
    const before = (await auditRecords()).length;
    const cookie = await sessionOf("operator");
    expect((await call(cookie, "GET", "/api/session")).status).toBe(200);
    expect((await call(cookie, "DELETE", "/api/session")).status).toBe(204);
    expect((await signIn("not-a-token-at-all")).status).toBe(401);
    // Catches a sign-in written to the AUDIT stream as if it were a read (e.g. message.read with no resources).
    expect((await auditRecords()).length).toBe(before);
  });

  it("says without a session whether an identity provider is offered; without one, its routes are 404", async () => {
    const options = await call(undefined, "GET", "/api/sign-in");
    expect(options.status).toBe(200);
    expect(await options.json()).toEqual({ oidc: false });
    for (const path of ["/api/oidc/start", "/api/oidc/callback?code=x&state=y"]) {
      const response = await call(undefined, "GET", path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("set-cookie")).toBeNull();
    }
  });

  it("refuses a token that is no operator's (an endpoint's, or nobody's) without echoing it", async () => {
    for (const token of [h.token("practice"), "not-a-token-at-all"]) {
      const response = await signIn(token);
      expect(response.status).toBe(401);
      expect(response.headers.get("set-cookie")).toBeNull();
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_SIGN_IN_FAILED" });
      expect(body).not.toContain(token);
    }
  });

  it("answers 401 without a session, after sign-out, and once the session's Redis record has expired", async () => {
    expect((await call(undefined, "GET", "/api/flow")).status).toBe(401);
    expect((await call("carehub_console=forged", "POST", "/api/messages/search", {})).status).toBe(401);

    const signedOut = await sessionOf("operator");
    expect((await call(signedOut, "GET", "/api/session")).status).toBe(200);
    expect((await call(signedOut, "DELETE", "/api/session")).status).toBe(204);
    expect((await call(signedOut, "GET", "/api/session")).status).toBe(401);

    const expiring = await sessionOf("operator");
    const keys = await h.hub.redis.keys(`${h.namespace}:console:session:*`);
    // Filed under the cookie's hash: what Redis holds does not sign anyone in.
    expect(keys.some((key) => key.includes(expiring.split("=")[1] ?? "?"))).toBe(false);
    for (const key of keys) {
      const ttl = await h.hub.redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1800);
      await h.hub.redis.pexpire(key, 1);
    }
    await h.waitFor(
      async () => ((await call(expiring, "GET", "/api/session")).status === 401 ? true : undefined),
      "the expired session refused",
    );
  });
});

describe("console roles, enforced by the server", () => {
  it("takes the role from the registry on every request: a demoted operator loses payloads, a removed one the session", async () => {
    const admin = await sessionOf("admin");
    expect((await call(admin, "GET", `/api/messages/${hubId}/payload`)).status).toBe(200);
    await h.updateRegistry((registry) => ({
      ...registry,
      operators: (registry.operators ?? []).map((o) => (o?.id === "admin" ? { ...o, role: "viewer" as const } : o)),
    }));
    expect((await call(admin, "GET", `/api/messages/${hubId}/payload`)).status).toBe(403);
    expect(await (await call(admin, "GET", "/api/session")).json()).toMatchObject({ operator: { role: "viewer" } });
    await h.updateRegistry((registry) => ({
      ...registry,
      operators: (registry.operators ?? []).filter((o) => o?.id !== "admin"),
    }));
    expect((await call(admin, "GET", "/api/session")).status).toBe(401);
  });

  it("refuses a viewer the payload and records the refusal", async () => {
    const viewer = await sessionOf("viewer");
    const response = await call(viewer, "GET", `/api/messages/${hubId}/payload`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_FORBIDDEN" });
    const refusals = (await auditRecords()).filter(
      (r) => r.action === "message.payload" && r.actor.type === "operator" && r.actor.id === "viewer",
    );
    expect(refusals).toEqual([
      expect.objectContaining({
        resources: [{ type: "message", id: hubId }],
        outcome: expect.objectContaining({ status: 403, result: "denied", code: "CAREHUB_ERR_CONSOLE_FORBIDDEN" }),
      }),
    ]);
  });

  it("refuses a viewer a patient search, records it by the patient's hash, never the CPR number", async () => {
    const viewer = await sessionOf("viewer");
    const response = await call(viewer, "POST", "/api/messages/search", { patient: CPR });
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).not.toContain(CPR);
    const refused = (await auditRecords()).filter(
      (r) => r.action === "message.list" && r.actor.type === "operator" && r.actor.id === "viewer",
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.outcome.result).toBe("denied");
    expect(refused[0]?.query?.patientHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await auditRecords())).not.toContain(CPR);
  });

  it("shows an operator the payload as received, pretty-printed, and records the view", async () => {
    const operator = await sessionOf("operator");
    const response = await call(operator, "GET", `/api/messages/${hubId}/payload`);
    expect(response.status).toBe(200);
    const payload = (await response.json()) as { contentType: string; text: string; size: number };
    expect(payload.contentType).toBe("application/fhir+json");
    expect(payload.size).toBe(Buffer.byteLength(HOMECARE));
    expect(JSON.parse(payload.text)).toEqual(JSON.parse(HOMECARE));
    expect(payload.text).toContain('\n  "resourceType": "Bundle"');
    const views = (await auditRecords()).filter(
      (r) => r.action === "message.payload" && r.actor.type === "operator" && r.actor.id === "operator",
    );
    expect(views.map((r) => r.outcome)).toEqual([{ status: 200, result: "ok", count: 1 }]);
    expect(views[0]?.resources).toEqual([{ type: "message", id: hubId }]);
  });

  it("lets an operator search by patient, recorded by hash only", async () => {
    const operator = await sessionOf("operator");
    expect(await search(operator, { patient: CPR })).toEqual([hubId]);
    expect(await search(operator, { patient: "0101010101" })).toEqual([]);
    const searches = (await auditRecords()).filter(
      (r) =>
        r.action === "message.list" &&
        r.actor.type === "operator" &&
        r.actor.id === "operator" &&
        r.query?.patientHash !== undefined,
    );
    expect(searches).toHaveLength(2);
    expect(searches[0]?.resources).toEqual([{ type: "message", id: hubId }]);
    expect(JSON.stringify(await auditRecords())).not.toContain(CPR);
  });
});

describe("console message browser", () => {
  it("finds the message by hub id, the sender's message id, sender, receiver, kind, status and time", async () => {
    const viewer = await sessionOf("viewer");
    const messageId = record.messageId ?? "";
    expect(messageId).not.toBe("");
    const received = Date.parse(record.receivedAt);
    const cases: Array<Record<string, unknown>> = [
      { hubId },
      { messageId },
      { messageId, sender: "acute-team" },
      { sender: "acute-team" },
      { receiver: "practice" },
      { kind: "homecare-observation" },
      { status: record.status },
      { from: new Date(received - 1_000).toISOString(), to: new Date(received + 1_000).toISOString() },
    ];
    for (const filters of cases) expect(await search(viewer, filters), JSON.stringify(filters)).toEqual([hubId]);
    // And misses where it must.
    const misses: Array<Record<string, unknown>> = [
      { messageId, sender: "practice" },
      { sender: "lab" },
      { kind: "lab-result" },
      { to: new Date(received - 60_000).toISOString() },
    ];
    for (const filters of misses) expect(await search(viewer, filters), JSON.stringify(filters)).toEqual([]);
  });

  it("shows a viewer the message's lifecycle (timeline, receivers), refuses an unknown filter without echoing it", async () => {
    const viewer = await sessionOf("viewer");
    const response = await call(viewer, "GET", `/api/messages/${hubId}`);
    expect(response.status).toBe(200);
    const lifecycle = (await response.json()) as MessageLifecycle;
    expect(lifecycle.hops.map((hop) => hop.type)).toContain("received");
    expect(lifecycle.perReceiver.map((r) => r.endpoint)).toEqual(["practice"]);

    const refused = await call(viewer, "POST", "/api/messages/search", { cpr: CPR });
    expect(refused.status).toBe(400);
    const body = await refused.text();
    expect(JSON.parse(body)).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_BAD_REQUEST" });
    expect(body).not.toContain(CPR);
  });
});

describe("console live flow", () => {
  it("counts received and delivered messages, per kind and endpoint, over the last hour and live over SSE", async () => {
    const viewer = await sessionOf("viewer");
    const flow = (await (await call(viewer, "GET", "/api/flow")).json()) as {
      series: Array<{ received: number; byKind: Record<string, number>; bySender: Record<string, number> }>;
    };
    expect(flow.series).toHaveLength(3600);
    expect(flow.series.reduce((n, s) => n + s.received, 0)).toBeGreaterThanOrEqual(1);
    expect(flow.series.some((s) => (s.byKind["homecare-observation"] ?? 0) > 0)).toBe(true);
    expect(flow.series.some((s) => (s.bySender["acute-team"] ?? 0) > 0)).toBe(true);

    const controller = new AbortController();
    const stream = await fetch(`${consoleUrl}/api/flow/live`, {
      headers: { cookie: viewer },
      signal: controller.signal,
    });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const sent = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    expect(sent.status).toBe(202);
    let text = "";
    const deadline = Date.now() + 15_000;
    while (!/"received":[1-9]/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toMatch(/event: tick\ndata: \{"second":\{"t":\d+,"received":[1-9]/);
  });

  it("does not stream to a caller without a session", async () => {
    const response = await fetch(`${consoleUrl}/api/flow/live`);
    expect(response.status).toBe(401);
  });
});

describe("console endpoints and statistics", () => {
  it("shows each endpoint's counters, backlog and circuit, and the counters as CSV", async () => {
    const viewer = await sessionOf("viewer");
    const response = await call(viewer, "GET", "/api/endpoints");
    expect(response.status).toBe(200);
    const items = ((await response.json()) as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((e) => e.id)).toEqual(["acute-team", "practice", "lab", "klamer", "databank"]);
    const practice = items.find((e) => e.id === "practice");
    expect(practice).toMatchObject({ delivery: "http", signed: false, circuit: "closed", deadLettered: 0 });
    expect(practice?.delivered).toBeGreaterThanOrEqual(1);
    expect(practice?.deliverySuccessRate).toBe(1);
    expect(items.find((e) => e.id === "acute-team")?.sent).toBeGreaterThanOrEqual(1);
    expect(items.find((e) => e.id === "lab")).toMatchObject({ sent: 0, received: 0, deliverySuccessRate: null });

    const csv = await call(viewer, "GET", "/api/statistics.csv");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("endpoint,role,kind,status,count");
    expect(lines).toContainEqual(expect.stringMatching(/^practice,receiver,homecare-observation,delivered,[1-9]\d*$/));
    expect(lines).toContainEqual(expect.stringMatching(/^acute-team,sender,homecare-observation,delivered,[1-9]\d*$/));
  });
});

describe("console statistics per day, week and month, and boards", () => {
  it("counts messages per day by kind, sender, receiver and status, and analyses by code; month sums days; CSV", async () => {
    const viewer = await sessionOf("viewer");
    const today = new Date().toISOString().slice(0, 10);
    const stats = await h.waitFor(async () => {
      const answer = (await (await call(viewer, "GET", `/api/statistics?period=day&to=${today}`)).json()) as {
        periods: string[];
        messages: Array<{ period: string; endpoint: string; role: string; kind: string; count: number }>;
        analyses: Array<{ period: string; sender: string; kind: string; code: string; count: number }>;
      };
      return answer.analyses.length > 0 ? answer : undefined;
    }, "the analyses of the home-care observation counted");
    // The default range: the 30 days up to today.
    expect(stats.periods).toHaveLength(30);
    expect(stats.periods.at(-1)).toBe(today);
    const sent = stats.messages.filter((r) => r.role === "sender" && r.endpoint === "acute-team");
    expect(sent.every((r) => r.period === today && r.kind === "homecare-observation")).toBe(true);
    expect(sent.reduce((n, r) => n + r.count, 0)).toBeGreaterThanOrEqual(1);
    expect(stats.messages.some((r) => r.role === "receiver" && r.endpoint === "practice")).toBe(true);
    expect(stats.analyses.every((r) => r.sender === "acute-team" && r.kind === "homecare-observation")).toBe(true);

    const month = (await (
      await call(viewer, "GET", `/api/statistics?period=month&from=${today}&to=${today}`)
    ).json()) as {
      periods: string[];
      analyses: Array<{ code: string; count: number }>;
    };
    expect(month.periods).toEqual([today.slice(0, 7)]);
    expect(month.analyses.map((r) => [r.code, r.count])).toEqual(stats.analyses.map((r) => [r.code, r.count]));

    const csv = await call(viewer, "GET", `/api/statistics/periods.csv?period=week&table=analyses`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("week,sender,kind,code,count");
    expect(
      lines.slice(1).every((line) => /^\d{4}-\d{2}-\d{2},acute-team,homecare-observation,[^,]+,[1-9]\d*$/.test(line)),
    ).toBe(true);

    // A reversed or too long range, or an unknown parameter, is refused with a code and without the input.
    for (const query of [
      "from=2026-02-01&to=2026-01-01",
      "from=2000-01-01&to=2026-01-01",
      "period=year",
      "cpr=2509479989",
    ]) {
      const refused = await call(viewer, "GET", `/api/statistics?${query}`);
      expect(refused.status, query).toBe(400);
      const body = await refused.text();
      expect(JSON.parse(body)).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_BAD_REQUEST" });
      expect(body).not.toContain("2509479989");
      expect(body).not.toContain("2000-01-01");
    }
  });

  it("answers a board for a registered endpoint only, and records each read", async () => {
    const viewer = await sessionOf("viewer");
    const board = await call(viewer, "GET", "/api/boards?endpoint=practice");
    expect(board.status).toBe(200);
    expect(Object.keys(((await board.json()) as { columns: object }).columns).sort()).toEqual([
      "appointment",
      "course",
      "referral",
      "task",
    ]);
    expect((await call(viewer, "GET", "/api/boards?endpoint=nobody")).status).toBe(404);
    expect((await call(viewer, "GET", "/api/boards")).status).toBe(400);
    expect((await call(viewer, "GET", "/api/boards?endpoint=practice&limit=1000000")).status).toBe(400);
    expect((await call(undefined, "GET", "/api/boards?endpoint=practice")).status).toBe(401);
    const records = (await auditRecords()).filter((r) => r.action === "care-list.list");
    expect(records.map((r) => [r.actor, r.query?.endpoint, r.outcome.result])).toEqual([
      [{ type: "operator", id: "viewer" }, "practice", "ok"],
    ]);
  });
});

describe("console re-run of a dead letter", () => {
  async function deadLetter(): Promise<string> {
    const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    expect(response.status).toBe(202);
    const id = ((await response.json()) as { id: string }).id;
    await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === id, 20_000);
    await h.waitFor(async () => {
      const answer = await fetch(`${h.url}/v1/messages/${id}`, {
        headers: { authorization: `Bearer ${h.token("operator")}` },
      });
      return answer.status === 200 && ((await answer.json()) as MessageLifecycle).status === "dead-lettered"
        ? true
        : undefined;
    }, "the dead letter in the read model");
    return id;
  }
  const dlqHolds = async (id: string) =>
    (await h.streamMessages("dlq")).filter((m) => m.headers["Carehub-Hub-Id"] === id).length;

  it("re-sends one message's dead letter to the one receiver chosen, linked to its original, and records it", async () => {
    h.receiver("practice").setDown(true);
    // The one re-run is the younger: a redrive that took the DLQ's oldest entry instead would be caught.
    const otherDeadId = await deadLetter();
    const deadId = await deadLetter();
    h.receiver("practice").setDown(false);
    const operator = await sessionOf("operator");
    const viewer = await sessionOf("viewer");

    const refused = await call(viewer, "POST", `/api/messages/${deadId}/rerun`, { receiver: "practice" });
    expect(refused.status).toBe(403);
    const notThere = await call(operator, "POST", `/api/messages/${deadId}/rerun`, { receiver: "lab" });
    expect(notThere.status).toBe(409);
    expect(await notThere.json()).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_NOT_DEAD_LETTERED" });
    expect(await dlqHolds(deadId)).toBe(1);

    const rerun = await call(operator, "POST", `/api/messages/${deadId}/rerun`, { receiver: "practice" });
    expect(rerun.status).toBe(200);
    expect(await rerun.json()).toEqual({ hubId: deadId, receiver: "practice", redriven: 1 });
    await h.waitForEvents((e) => e.type === "delivered" && e.hubId === deadId, 20_000);
    // Only that message: the other dead letter waits in the DLQ, undelivered.
    expect(await dlqHolds(deadId)).toBe(0);
    expect(await dlqHolds(otherDeadId)).toBe(1);
    expect(
      h
        .receiver("practice")
        .accepted()
        .filter((d) => d.hubId === deadId),
    ).toHaveLength(1);
    expect(
      h
        .receiver("practice")
        .accepted()
        .filter((d) => d.hubId === otherDeadId),
    ).toHaveLength(0);

    const lifecycle = await h.waitFor(async () => {
      const found = (await (await call(operator, "GET", `/api/messages/${deadId}`)).json()) as MessageLifecycle;
      return found.perReceiver[0]?.status === "delivered" ? found : undefined;
    }, "the re-run delivery in the read model");
    expect(lifecycle.links.replayOf).toBe(deadId);
    const types = lifecycle.hops.map((hop) => hop.type);
    expect(types.indexOf("dead-lettered")).toBeLessThan(types.indexOf("replayed"));
    expect(types.indexOf("replayed")).toBeLessThan(types.lastIndexOf("delivered"));

    const records = (await auditRecords()).filter((r) => r.action === "message.rerun");
    expect(records.map((r) => [r.actor, r.outcome.result, r.query?.receiver])).toEqual([
      [{ type: "operator", id: "viewer" }, "denied", undefined],
      [{ type: "operator", id: "operator" }, "invalid", "lab"],
      [{ type: "operator", id: "operator" }, "ok", "practice"],
    ]);
    expect(records.every((r) => r.resources[0]?.id === deadId)).toBe(true);

    // Once re-run, the dead letter is gone: a second re-run sends nothing.
    const again = await call(operator, "POST", `/api/messages/${deadId}/rerun`, { receiver: "practice" });
    expect(again.status).toBe(409);
  });

  it("re-runs many by filter or selection to one named receiver, bounded, after a confirmation step", async () => {
    h.receiver("practice").setDown(true);
    const oldest = await deadLetter();
    const middle = await deadLetter();
    const newest = await deadLetter();
    h.receiver("practice").setDown(false);
    const operator = await sessionOf("operator");
    const viewer = await sessionOf("viewer");
    const rerun = (cookie: string, body: unknown) => call(cookie, "POST", "/api/messages/rerun", body);
    const auditBefore = (await auditRecords()).length;

    // Refused: no receiver; a filter without an upper bound; a viewer. Nothing leaves the DLQ.
    for (const body of [
      { filter: { sender: "acute-team" }, max: 2, confirm: true },
      { receiver: "practice", filter: { sender: "acute-team" }, confirm: true },
    ]) {
      const refused = await rerun(operator, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(await refused.json()).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_RERUN_UNBOUNDED" });
    }
    expect((await rerun(viewer, { receiver: "practice", hubIds: [newest], confirm: true })).status).toBe(403);
    expect((await rerun(operator, { receiver: "practice", hubIds: [newest], filter: {}, max: 1 })).status).toBe(400);

    // The confirmation step: what would go, newest first, bounded by max; nothing is sent yet.
    const filter = { sender: "acute-team", kind: "homecare-observation" };
    const preview = await rerun(operator, { receiver: "practice", filter, max: 2 });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toEqual({
      receiver: "practice",
      confirmed: false,
      matched: 2,
      redriven: 0,
      hubIds: [newest, middle],
    });
    expect(await dlqHolds(newest)).toBe(1);

    // Confirmed: exactly those two, to the practice only; the oldest stays (catches the bound ignored).
    const confirmed = await rerun(operator, { receiver: "practice", filter, max: 2, confirm: true });
    expect(await confirmed.json()).toMatchObject({ confirmed: true, redriven: 2 });
    expect(await dlqHolds(newest)).toBe(0);
    expect(await dlqHolds(middle)).toBe(0);
    expect(await dlqHolds(oldest)).toBe(1);
    await h.waitFor(async () => {
      const got = new Set(
        h
          .receiver("practice")
          .accepted()
          .map((d) => d.hubId),
      );
      return got.has(newest) && got.has(middle) ? true : undefined;
    }, "both re-run deliveries at the practice");
    const linked = await h.waitFor(async () => {
      const found = (await (await call(operator, "GET", `/api/messages/${newest}`)).json()) as MessageLifecycle;
      return found.hops.some((hop) => hop.type === "replayed") ? found : undefined;
    }, "the re-run linked in the timeline");
    expect(linked.links.replayOf).toBe(newest);

    // A selection: only the dead letters among the chosen messages (a delivered one is skipped, not re-sent).
    const selected = await rerun(operator, { receiver: "practice", hubIds: [oldest, newest], confirm: true });
    expect(await selected.json()).toMatchObject({ matched: 1, redriven: 1, hubIds: [oldest] });
    expect(await dlqHolds(oldest)).toBe(0);

    // One access record per request, naming every message (catches a bulk re-run left off the audit trail).
    const records = (await auditRecords()).slice(auditBefore).filter((r) => r.action.startsWith("message."));
    expect(records.map((r) => [r.action, r.outcome.result, r.outcome.count, r.resources.map((x) => x.id)])).toEqual([
      ["message.rerun", "denied", 0, []],
      ["message.list", "ok", 2, [newest, middle]],
      // Re-driven in DLQ order (oldest dead letter first).
      ["message.rerun", "ok", 2, [middle, newest]],
      ["message.read", "ok", 1, [newest]],
      ["message.rerun", "ok", 1, [oldest]],
    ]);
  });
});

describe("console re-send of a delivered message", () => {
  it("re-sends a delivered message to the one receiver named, as a new delivery linked to the original, after a confirmation", async () => {
    const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    expect(response.status).toBe(202);
    const id = ((await response.json()) as { id: string }).id;
    const operator = await sessionOf("operator");
    const viewer = await sessionOf("viewer");
    const delivered = await h.waitFor(async () => {
      const found = (await (await call(operator, "GET", `/api/messages/${id}`)).json()) as MessageLifecycle;
      return found.status === "delivered" ? found : undefined;
    }, "the message delivered in the read model");
    const receivers = delivered.perReceiver.map((p) => p.endpoint);
    expect(receivers).toContain("practice");
    const deliveriesAt = (endpoint: string) =>
      h
        .receiver(endpoint)
        .accepted()
        .filter((d) => d.hubId === id);
    const rerun = (cookie: string, body: unknown) => call(cookie, "POST", "/api/messages/rerun", body);
    const auditBefore = (await auditRecords()).length;

    // A viewer is refused (catches a re-send route that skips the role check).
    expect((await rerun(viewer, { receiver: "practice", hubIds: [id], resend: true, confirm: true })).status).toBe(403);
    // Not delivered to the lab: nothing to re-send there (catches a re-send to a receiver the caller made up).
    const elsewhere = await rerun(operator, { receiver: "lab", hubIds: [id], resend: true, confirm: true });
    expect(await elsewhere.json()).toMatchObject({ matched: 0, resent: 0, hubIds: [] });

    // The confirmation step sends nothing; the confirmed one sends it once more, to the practice only.
    const preview = await rerun(operator, { receiver: "practice", hubIds: [id], resend: true });
    expect(await preview.json()).toEqual({
      receiver: "practice",
      confirmed: false,
      resend: true,
      matched: 1,
      resent: 0,
      hubIds: [id],
    });
    expect(deliveriesAt("practice")).toHaveLength(1);
    const confirmed = await rerun(operator, { receiver: "practice", hubIds: [id], resend: true, confirm: true });
    expect(await confirmed.json()).toMatchObject({ confirmed: true, matched: 1, resent: 1, hubIds: [id] });
    const [first, again] = await h.waitFor(
      async () => (deliveriesAt("practice").length === 2 ? deliveriesAt("practice") : undefined),
      "the re-send at the practice",
    );
    expect(again?.messageId).toBe(first?.messageId);
    expect(again?.headers["carehub-resend"]).toBe("1");

    // Linked in the timeline: a replayed hop and a delivery of its own after it.
    const linked = await h.waitFor(async () => {
      const found = (await (await call(operator, "GET", `/api/messages/${id}`)).json()) as MessageLifecycle;
      return found.hops.some((hop) => hop.eventId === `${id}:delivered:practice:resend-1`) ? found : undefined;
    }, "the re-send in the timeline");
    expect(linked.links.replayOf).toBe(id);
    const eventIds = linked.hops.map((hop) => hop.eventId);
    expect(eventIds.indexOf(`${id}:replayed:practice:resend-1`)).toBeGreaterThan(-1);
    expect(eventIds.indexOf(`${id}:replayed:practice:resend-1`)).toBeLessThan(
      eventIds.indexOf(`${id}:delivered:practice:resend-1`),
    );
    // Every other receiver of the message got it once (catches a re-send that goes to all).
    for (const other of receivers.filter((r) => r !== "practice")) expect(deliveriesAt(other)).toHaveLength(1);

    // Access records: the refusal, the listing and the re-send, each naming the message.
    const records = (await auditRecords())
      .slice(auditBefore)
      .filter((r) => r.action === "message.resend" || r.action === "message.list");
    expect(records.map((r) => [r.action, r.outcome.result, r.query?.receiver, r.resources.map((x) => x.id)])).toEqual([
      ["message.resend", "denied", "practice", []],
      ["message.resend", "ok", "lab", []],
      ["message.list", "ok", "practice", [id]],
      ["message.resend", "ok", "practice", [id]],
    ]);
  });
});
