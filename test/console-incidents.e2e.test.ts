import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCarehub } from "./src/cli-process.ts";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";
import { freshHomecare, HOMECARE_CPR } from "./src/homecare-traffic.ts";

/**
 * The console's disruption log on a whole hub: an incident opens by itself when an endpoint's circuit breaker
 * opens and closes when it closes again; operators open and close incidents by hand (a viewer may only read);
 * the log exports as CSV; CPR numbers typed into a note are not kept.
 */

interface Incident {
  id: string;
  cause: string;
  openedAt: string;
  closedAt?: string;
  endpoints: string[];
  note: string;
  closingNote?: string;
  openedBy: { type: string; id: string };
  closedBy?: { type: string; id: string };
}

let h: Harness;
let consoleUrl: string;

/** The real `carehub` in a child process, pointed at the console with CAREHUB_CONSOLE_URL and CAREHUB_TOKEN. */
function carehub(args: string[], token = h.token("operator")) {
  return runCarehub(args, { ...process.env, CAREHUB_CONSOLE_URL: consoleUrl, CAREHUB_TOKEN: token });
}

function call(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${consoleUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function incidents(): Promise<Incident[]> {
  const response = await call(h.token("viewer"), "GET", "/api/incidents");
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Incident[] }).items;
}

beforeAll(async () => {
  h = await startHarness({
    endpoints: defaultEndpoints().map((e) => (e.id === "practice" ? { ...e, maxDeliveryAttempts: 1 } : e)),
    services: ["tracker", "dispatcher", "router", "intake", "gateway", "console"],
    operators: ["operator", "viewer"],
    operatorRoles: { operator: "operator", viewer: "viewer" },
    // Two failures open a circuit, which lets a probe through after half a second.
    settingsEnv: { CAREHUB_CIRCUIT_FAILURE_THRESHOLD: "2", CAREHUB_CIRCUIT_COOLDOWN_MS: "500" },
  });
  consoleUrl = h.hub.consoleUrl ?? "";
});

afterAll(async () => {
  await h?.close();
});

describe("the console's disruption log", () => {
  it("opens an incident when an endpoint's circuit opens, and closes it when the circuit closes again", async () => {
    h.receiver("practice").setDown(true);
    for (let i = 0; i < 2; i++) {
      const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
      const id = ((await response.json()) as { id: string }).id;
      await h.waitForEvents((e) => e.type === "dead-lettered" && e.hubId === id, 20_000);
    }
    const opened = await h.waitFor(async () => {
      const found = (await incidents()).filter((i) => i.cause === "circuit-open");
      return found.length > 0 ? found : undefined;
    }, "the circuit's incident");
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ endpoints: ["practice"], openedBy: { type: "hub", id: "circuit-breaker" } });
    expect(opened[0]?.closedAt).toBeUndefined();

    h.receiver("practice").setDown(false);
    const response = await h.send("acute-team", freshHomecare().body, "application/fhir+json");
    const id = ((await response.json()) as { id: string }).id;
    await h.waitForEvents((e) => e.type === "delivered" && e.hubId === id, 20_000);
    const closed = await h.waitFor(async () => {
      const found = (await incidents()).find((i) => i.id === opened[0]?.id);
      return found?.closedAt === undefined ? undefined : found;
    }, "the circuit's incident closed");
    expect(closed.closedBy).toEqual({ type: "hub", id: "circuit-breaker" });
    // One incident per opening, however many console polls saw it open.
    expect((await incidents()).filter((i) => i.cause === "circuit-open")).toHaveLength(1);
  });

  it("lets an operator open and close an incident by hand, not a viewer; keeps no CPR number from a note", async () => {
    const refused = await call(h.token("viewer"), "POST", "/api/incidents", { endpoints: ["lab"], note: "lab slow" });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "CAREHUB_ERR_CONSOLE_FORBIDDEN" });

    const created = await call(h.token("operator"), "POST", "/api/incidents", {
      endpoints: ["lab"],
      kinds: ["lab-result"],
      note: `lab results late, e.g. for ${HOMECARE_CPR}`,
    });
    expect(created.status).toBe(201);
    const incident = (await created.json()) as Incident;
    expect(incident).toMatchObject({
      cause: "manual",
      endpoints: ["lab"],
      openedBy: { type: "operator", id: "operator" },
    });
    expect(incident.note).toBe("lab results late, e.g. for [CPR]");

    expect((await call(h.token("viewer"), "POST", `/api/incidents/${incident.id}/close`, {})).status).toBe(403);
    const close = await call(h.token("operator"), "POST", `/api/incidents/${incident.id}/close`, { note: "lab fixed" });
    expect(close.status).toBe(200);
    const closed = (await close.json()) as Incident;
    expect(closed).toMatchObject({ closingNote: "lab fixed", closedBy: { type: "operator", id: "operator" } });
    // Closing again changes nothing.
    const again = (await (
      await call(h.token("operator"), "POST", `/api/incidents/${incident.id}/close`, {})
    ).json()) as Incident;
    expect(again.closedAt).toBe(closed.closedAt);
    const missing = await call(h.token("operator"), "POST", `/api/incidents/${crypto.randomUUID()}/close`, {});
    expect(missing.status).toBe(404);
    expect((await incidents())[0]?.id).toBe(incident.id);
  });

  it("exports the log as CSV, one row per incident, newest first", async () => {
    const response = await call(h.token("viewer"), "GET", "/api/incidents.csv");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toContain("attachment");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "id,cause,openedAt,closedAt,durationMinutes,endpoints,kinds,openedBy,closedBy,note,closingNote",
    );
    const items = await incidents();
    expect(lines).toHaveLength(items.length + 1);
    expect(lines[1]).toMatch(
      /^[0-9a-f-]{36},manual,.*,lab,lab-result,operator:operator,operator:operator,"lab results late, e\.g\. for \[CPR\]",lab fixed$/,
    );
    expect(lines[2]).toMatch(/,circuit-open,.*,practice,,hub:circuit-breaker,hub:circuit-breaker,/);
  });
});

describe("carehub incidents, against the running console", () => {
  it("opens, lists and closes an incident through the console's API, as JSON or a table", async () => {
    const opened = await carehub([
      "incidents",
      "open",
      "--json",
      "--endpoints",
      "klamer,lab",
      "--note",
      "VANS queue stuck",
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const incident = JSON.parse(opened.stdout) as Incident;
    expect(incident).toMatchObject({ endpoints: ["klamer", "lab"], note: "VANS queue stuck", cause: "manual" });

    const open = await carehub(["incidents", "list", "--state", "open"]);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toMatch(/^ID +OPENED +CLOSED +CAUSE +ENDPOINTS +NOTE/);
    expect(open.stdout).toContain(incident.id);
    expect(open.stdout).not.toContain(h.token("operator"));

    const closed = await carehub(["incidents", "close", incident.id, "--note", "queue drained", "--json"]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(JSON.parse(closed.stdout)).toMatchObject({ id: incident.id, closingNote: "queue drained" });
    const stillOpen = await carehub(["incidents", "list", "--state", "open", "--json"]);
    expect(stillOpen.stdout).not.toContain(incident.id);
    // Each run starts a Node process that loads the CLI: seconds apiece on a loaded machine.
  }, 120_000);

  it("fails with the console's refusal (exit 1) and refuses bad usage before calling (exit 2)", async () => {
    const viewer = await carehub(["incidents", "open", "--note", "x"], h.token("viewer"));
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain("403 CAREHUB_ERR_CONSOLE_FORBIDDEN");
    expect(viewer.stderr).not.toContain(h.token("viewer"));
    const unknown = await carehub(["incidents", "close", crypto.randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("404 CAREHUB_ERR_CONSOLE_NOT_FOUND");

    const noNote = await carehub(["incidents", "open"]);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toContain("incidents open needs --note");
    // The other refusals before a call (typos, a bad --state) are parseCliArgs's: services/hub/src/cli-args.test.ts.
  }, 120_000);
});
