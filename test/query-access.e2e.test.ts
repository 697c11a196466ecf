import { readFileSync } from "node:fs";
import { AuditRecord, type MessageLifecycle, type MessagePage, type StatusCounts } from "@carehub/schemas";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./src/harness.ts";

/**
 * Who may read what through the query API of a whole hub: an operator (registry `operators`) reads every
 * message; an endpoint reads only what it sent or received (another's message answers 404, exactly like one
 * that does not exist); no token answers 401; an operator's token sends nothing. Every query request leaves one
 * access record on the AUDIT stream, and none of them holds the CPR number of the patient the message is about.
 */

// The CPR number of the patient in the HomeCareObservation example.
const CPR = "2509479989";
const HOMECARE = readFileSync(
  medcomExamplesDir("fhir", "homecareobservation", "ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json"),
);

let h: Harness;
let hubId: string;

async function get(path: string, token?: string): Promise<Response> {
  return fetch(`${h.url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

async function auditRecords(): Promise<AuditRecord[]> {
  return (await h.streamMessages("audit")).map((m) => AuditRecord.parse(JSON.parse(Buffer.from(m.data).toString())));
}

/** The access records of one answered request (by the request id the gateway answered with). */
async function recordsOf(response: Response): Promise<AuditRecord[]> {
  const requestId = response.headers.get("carehub-request-id");
  expect(requestId).toEqual(expect.any(String));
  return (await auditRecords()).filter((r) => r.request.id === requestId);
}

beforeAll(async () => {
  h = await startHarness();
  // The acute team's observation goes to the practice; the lab has nothing to do with it.
  const response = await h.send("acute-team", HOMECARE, "application/fhir+json");
  expect(response.status).toBe(202);
  hubId = ((await response.json()) as { id: string }).id;
  await h.waitFor(
    async () => ((await get(`/v1/messages/${hubId}`, h.token("operator"))).status === 200 ? true : undefined),
    "the message in the read model",
  );
});

afterAll(async () => {
  await h?.close();
});

describe("query API access", () => {
  it("lets an operator read another endpoint's message, list everything and see every endpoint's counts", async () => {
    const response = await get(`/v1/messages/${hubId}`, h.token("operator"));
    expect(response.status).toBe(200);
    expect((await response.json()) as MessageLifecycle).toMatchObject({ hubId, sender: "acute-team" });

    const list = await get("/v1/messages?kind=homecare-observation&limit=5", h.token("operator"));
    expect(list.status).toBe(200);
    expect(((await list.json()) as MessagePage).items.map((m) => m.hubId)).toContain(hubId);

    const stats = await get("/v1/stats", h.token("operator"));
    expect(new Set(((await stats.json()) as StatusCounts).items.map((row) => row.endpoint))).toEqual(
      new Set(["acute-team", "practice"]),
    );
  });

  it("lets the sender and the receiver read the message, and answers any other endpoint 404 as if it did not exist", async () => {
    expect((await get(`/v1/messages/${hubId}`, h.token("acute-team"))).status).toBe(200);
    await h.waitFor(
      async () => ((await get(`/v1/messages/${hubId}`, h.token("practice"))).status === 200 ? true : undefined),
      "the practice to see the message routed to it",
    );
    const other = await get(`/v1/messages/${hubId}`, h.token("lab"));
    const missing = await get("/v1/messages/00000000-0000-7000-8000-000000000000", h.token("lab"));
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({
      code: "CAREHUB_ERR_QUERY_NOT_FOUND",
      message: "no such message, or not one this caller may see",
    });
    expect(missing.status).toBe(404);
    // An endpoint lists only its own.
    expect((await get("/v1/messages?kind=homecare-observation", h.token("lab"))).status).toBe(400);
    const stats = (await (await get("/v1/stats", h.token("lab"))).json()) as StatusCounts;
    expect(stats.items.every((row) => row.endpoint === "lab")).toBe(true);
  });

  it("answers 401 without a token or with an unknown one", async () => {
    const none = await get(`/v1/messages/${hubId}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe("CAREHUB_ERR_GATEWAY_UNAUTHENTICATED");
    expect((await get(`/v1/messages/${hubId}`, "token-nobody")).status).toBe(401);
    expect((await get("/v1/stats")).status).toBe(401);
  });

  it("does not let an operator's token send messages", async () => {
    const response = await h.send("acute-team", HOMECARE, "application/fhir+json", { token: h.token("operator") });
    expect(response.status).toBe(401);
  });

  it("leaves exactly one access record per request, with the caller, the message and the outcome, and no CPR", async () => {
    const operator = await get(`/v1/messages/${hubId}`, h.token("operator"));
    expect(await recordsOf(operator)).toEqual([
      expect.objectContaining({
        actor: { type: "operator", id: "operator" },
        action: "message.read",
        resources: [{ type: "message", id: hubId }],
        outcome: { status: 200, result: "ok", count: 1 },
      }),
    ]);
    const endpoint = await get(`/v1/messages/${hubId}`, h.token("practice"));
    expect(await recordsOf(endpoint)).toEqual([
      expect.objectContaining({
        actor: { type: "endpoint", id: "practice" },
        outcome: expect.objectContaining({ result: "ok" }),
      }),
    ]);
    const denied = await get(`/v1/messages/${hubId}`, h.token("lab"));
    expect(denied.status).toBe(404);
    expect((await recordsOf(denied))[0]?.outcome).toMatchObject({ status: 404, result: "denied" });
    const anonymous = await get(`/v1/messages/${hubId}`);
    expect((await recordsOf(anonymous))[0]?.actor).toEqual({ type: "anonymous", credential: "none" });
    // Looking for the patient by CPR is recorded by the read model's keyed hash only.
    const byPatient = await get(`/v1/messages?sender=${CPR}&patient=${CPR}`, h.token("operator"));
    expect((await recordsOf(byPatient))[0]?.query).toEqual({ sender: "[CPR]", patientHash: expect.any(String) });

    const everything = JSON.stringify(await auditRecords());
    expect(everything).toContain(hubId);
    expect(everything).not.toContain(CPR);
    expect(everything).not.toContain(`${CPR.slice(0, 6)}-${CPR.slice(6)}`);
  });
});
