import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { EndpointRegistry, hashToken } from "@carehub/registry";
import { AuditRecord, type RegistryConfigInput } from "@carehub/schemas";
import { createStore, type ReadModelStore } from "@carehub/store";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedReferrals } from "../test/read-model-fixture.ts";
import { createGatewayApp } from "./app.ts";

/**
 * The access audit trail of the query API (docs/decisions/0012) against real NATS and Redis: every query
 * request — read, listed, denied, unauthenticated, invalid — leaves exactly one AuditRecord on the AUDIT
 * stream before it is answered, none holds a CPR number, and a request whose record cannot be stored is
 * refused with 503.
 */

const CPR = "2509479989";
const PATIENT_HASH_KEY = "audit-test-key-0123456789";

const endpoint = (id: string, sor: string, gln: string) => ({
  id,
  name: id,
  kind: "practice" as const,
  identifiers: { sor: [sor], gln: [gln] },
  sends: ["referral" as const],
  accepts: ["referral" as const],
  delivery: { mode: "nats" as const },
  auth: { tokenSha256: [hashToken(`token-${id}`)] },
});
const registryConfig: RegistryConfigInput = {
  hub: { id: "hub", name: "hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("gp-1", "52581000016005", "5790000127092"),
    endpoint("hosp-1", "1144561000016002", "5790000200016"),
    endpoint("other-1", "1144571000016005", "5790000200023"),
  ],
  operators: [{ id: "ops-alice", name: "Alice", tokenSha256: [hashToken("token-ops-alice")] }],
};
const T0 = Date.now() - 3_600_000;

let ns: TestNamespace;
let store: ReadModelStore;
let app: FastifyInstance;

const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: "GET",
    url,
    headers: { ...headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  });

/** Every record now on the namespace's AUDIT stream, oldest first, each checked against the schema. */
async function auditRecords(): Promise<AuditRecord[]> {
  const stream = ns.bus.topology.streams.audit;
  const state = (await ns.bus.jsm.streams.info(stream)).state;
  const records: AuditRecord[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await ns.bus.getMessage(stream, seq);
    if (message !== null) records.push(AuditRecord.parse(JSON.parse(Buffer.from(message.data).toString())));
  }
  return records;
}

/** The one record of a request (by the request id the gateway answered), and that there is exactly one. */
async function recordOf(response: LightMyRequestResponse): Promise<AuditRecord> {
  const requestId = response.headers["carehub-request-id"];
  expect(typeof requestId).toBe("string");
  const mine = (await auditRecords()).filter((r) => r.request.id === requestId);
  expect(mine).toHaveLength(1);
  return mine[0] as AuditRecord;
}

beforeAll(async () => {
  ns = await openTestNamespace("t-audit");
  store = createStore({
    redis: ns.redis,
    namespace: ns.namespace,
    retentionDays: 30,
    patientHashKey: PATIENT_HASH_KEY,
  });
  await seedReferrals(store, 3, T0);
  app = await createGatewayApp({
    config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 30 },
    registry: EndpointRegistry.from(registryConfig),
    bus: ns.bus,
    redis: ns.redis,
    store,
  });
});

afterAll(async () => {
  await app?.close();
  await ns?.close();
});

describe("the query API's access audit trail", () => {
  it("records an operator's read by operator id, with the message read, before answering", async () => {
    const response = await get("/v1/messages/msg-1", "token-ops-alice", { "user-agent": "carehub-console/1.0" });
    expect(response.statusCode).toBe(200);
    const record = await recordOf(response);
    expect(record).toMatchObject({
      actor: { type: "operator", id: "ops-alice" },
      action: "message.read",
      resources: [{ type: "message", id: "msg-1" }],
      outcome: { status: 200, result: "ok", count: 1 },
      request: { method: "GET", userAgent: "carehub-console/1.0", remoteAddress: "127.0.0.1" },
    });
    expect(Date.parse(record.at)).not.toBeNaN();
  });

  it("records an endpoint's listing with its filters and every hub id it was shown", async () => {
    const response = await get("/v1/messages?receiver=hosp-1&kind=referral&limit=2", "token-hosp-1");
    expect(response.statusCode).toBe(200);
    expect(await recordOf(response)).toMatchObject({
      actor: { type: "endpoint", id: "hosp-1" },
      action: "message.list",
      resources: [
        { type: "message", id: "msg-2" },
        { type: "message", id: "msg-1" },
      ],
      query: { receiver: "hosp-1", kind: "referral" },
      outcome: { status: 200, result: "ok", count: 2 },
    });
  });

  it("records a referral read and a stats read", async () => {
    const referral = await get("/v1/referrals/REF-1", "token-gp-1");
    expect(referral.statusCode).toBe(200);
    expect(await recordOf(referral)).toMatchObject({
      actor: { type: "endpoint", id: "gp-1" },
      action: "referral.read",
      // The entity read, scoped by its originator.
      resources: [{ type: "referral", id: "gp-1/REF-1" }],
      outcome: { status: 200, result: "ok", count: 1 },
    });
    const stats = await get("/v1/stats", "token-ops-alice");
    expect(await recordOf(stats)).toMatchObject({
      action: "stats.read",
      resources: [],
      outcome: { status: 200, result: "ok", count: stats.json().items.length },
    });
  });

  it("records an out-of-scope read as denied although the caller sees the same 404 as for a missing one", async () => {
    const denied = await get("/v1/messages/msg-1", "token-other-1");
    const missing = await get("/v1/messages/msg-404", "token-other-1");
    expect(denied.statusCode).toBe(404);
    expect(denied.json().code).toBe(missing.json().code);
    expect(await recordOf(denied)).toMatchObject({
      actor: { type: "endpoint", id: "other-1" },
      action: "message.read",
      resources: [{ type: "message", id: "msg-1" }],
      outcome: { status: 404, result: "denied", count: 0, code: "CAREHUB_ERR_QUERY_NOT_FOUND" },
    });
    expect((await recordOf(missing)).outcome).toEqual({
      status: 404,
      result: "not-found",
      count: 0,
      code: "CAREHUB_ERR_QUERY_NOT_FOUND",
    });
    const task = await get("/v1/referrals/REF-1", "token-other-1");
    expect((await recordOf(task)).outcome.result).toBe("denied");
    const unscoped = await get("/v1/messages?sender=gp-1", "token-other-1");
    expect(unscoped.statusCode).toBe(400);
    expect((await recordOf(unscoped)).outcome).toMatchObject({
      result: "denied",
      code: "CAREHUB_ERR_QUERY_OUT_OF_SCOPE",
    });
  });

  it("records unauthenticated calls as anonymous, telling no token from an unknown one, and never the token", async () => {
    const none = await get("/v1/referrals/REF-1");
    expect(none.statusCode).toBe(401);
    expect(await recordOf(none)).toMatchObject({
      actor: { type: "anonymous", credential: "none" },
      action: "referral.read",
      resources: [],
      outcome: { status: 401, result: "unauthenticated", code: "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED" },
    });
    const unknown = await get("/v1/stats", "stolen-or-guessed-token");
    expect(unknown.statusCode).toBe(401);
    const record = await recordOf(unknown);
    expect(record.actor).toEqual({ type: "anonymous", credential: "unknown-token" });
    expect(JSON.stringify(record)).not.toContain("stolen-or-guessed-token");
  });

  it("records a listing refused for its parameters as invalid, with nothing applied and no value kept", async () => {
    const unknown = await get("/v1/messages?sender=gp-1&colour=blue", "token-gp-1");
    expect(unknown.statusCode).toBe(400);
    expect(await recordOf(unknown)).toMatchObject({
      action: "message.list",
      query: { otherParameters: ["colour"] },
      outcome: { status: 400, result: "invalid", count: 0, code: "CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN" },
    });
    expect(JSON.stringify(await recordOf(unknown))).not.toContain("blue");
    const invalid = await get("/v1/messages?sender=gp-1&from=yesterday", "token-gp-1");
    expect(invalid.statusCode).toBe(400);
    const record = await recordOf(invalid);
    expect(record.outcome).toMatchObject({ result: "invalid", code: "CAREHUB_ERR_QUERY_INVALID" });
    expect(record.query).toBeUndefined();
  });

  it("never keeps a CPR number: a patient filter is recorded by its keyed hash, ids and user agents are scrubbed", async () => {
    const dashed = `${CPR.slice(0, 6)}-${CPR.slice(6)}`;
    const requests = [
      await get(`/v1/messages?sender=${CPR}`, "token-ops-alice"),
      await get(`/v1/messages?patient=${dashed}&kind=referral`, "token-ops-alice"),
      await get(`/v1/referrals/${CPR}`, "token-ops-alice"),
      await get(`/v1/tasks/cpr-${dashed}`, "token-gp-1", { "user-agent": `curl (patient ${CPR})` }),
    ];
    const records = await Promise.all(requests.map(recordOf));
    const text = JSON.stringify(await auditRecords());
    expect(text).not.toContain(CPR);
    const hash = store.patientHash(CPR);
    expect(records[0]?.query).toEqual({ sender: "[CPR]" });
    expect(records[1]?.query).toEqual({ kind: "referral", patientHash: hash });
    expect(records[2]?.resources).toEqual([{ type: "referral", id: "[CPR]" }]);
    expect(records[3]?.resources).toEqual([{ type: "task", id: "cpr-[CPR]" }]);
    expect(records[3]?.request.userAgent).toBe("curl (patient [CPR])");
  });

  it("refuses the read with 503 and shows nothing when the AUDIT stream cannot store the record", async () => {
    const audit = ns.bus.topology.streams.audit;
    await ns.bus.jsm.streams.delete(audit);
    try {
      const response = await get("/v1/messages/msg-1", "token-ops-alice");
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        code: "CAREHUB_ERR_GATEWAY_AUDIT_UNAVAILABLE",
        message: expect.stringContaining("access record"),
      });
      expect(response.body).not.toContain("gp-1");
      const unauthenticated = await get("/v1/stats");
      expect(unauthenticated.statusCode).toBe(503);
      expect(unauthenticated.headers["www-authenticate"]).toBeUndefined();
    } finally {
      await ns.bus.provision();
    }
    const again = await get("/v1/messages/msg-1", "token-ops-alice");
    expect(again.statusCode).toBe(200);
    expect((await auditRecords()).map((r) => r.request.id)).toEqual([again.headers["carehub-request-id"]]);
  });
});
