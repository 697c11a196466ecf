import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { EndpointRegistry } from "@carehub/registry";
import { createStore, type ReadModelStore } from "@carehub/store";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedReferrals } from "../test/read-model-fixture.ts";
import { busAuditTrail } from "./audit-trail.ts";
import { errorAnswer } from "./gateway-errors.ts";
import { QUERY_ERROR_CODES, queryRoutes } from "./query-routes.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const endpoint = (id: string, sor: string, gln: string) => ({
  id,
  name: id,
  kind: "practice" as const,
  identifiers: { sor: [sor], gln: [gln] },
  sends: ["referral" as const, "status-update" as const],
  accepts: ["referral" as const, "status-update" as const],
  delivery: { mode: "nats" as const },
  auth: { tokenSha256: [sha(`token-${id}`)] },
});
const registry = EndpointRegistry.from({
  hub: { id: "hub", name: "hub", sor: "481521000016007", gln: "5790000199990" },
  endpoints: [
    endpoint("gp-1", "52581000016005", "5790000127092"),
    endpoint("hosp-1", "1144561000016002", "5790000200016"),
    endpoint("other-1", "1144571000016005", "5790000200023"),
  ],
});
const auth = (id: string) => ({ authorization: `Bearer token-${id}` });
const T0 = Date.now() - 3_600_000;

let ns: TestNamespace;
let store: ReadModelStore;
let app: FastifyInstance;
/** Every GET route the query plugin registered, with its path parameters filled in. */
const queryPaths: string[] = [];

beforeAll(async () => {
  ns = await openTestNamespace("t-query");
  store = createStore({
    redis: ns.redis,
    namespace: ns.namespace,
    retentionDays: 30,
    patientHashKey: "k".repeat(20),
  });
  await seedReferrals(store, 5, T0);
  app = Fastify();
  app.addHook("onRoute", (route) => {
    if (route.method === "GET") queryPaths.push(route.url.replace(/:\w+/g, "REF-1"));
  });
  app.setErrorHandler((error, _request, reply) => {
    const answer = errorAnswer(error);
    return reply.code(answer.statusCode).send(answer.body);
  });
  await app.register(queryRoutes, {
    store,
    registry,
    authenticateOperator: (token) => (token === "operator-secret" ? { id: "ops-1" } : undefined),
    audit: busAuditTrail(ns.bus),
  });
});

afterAll(async () => {
  await app?.close();
  await store?.dropReadModel();
  await ns?.close();
});

describe("query routes", () => {
  it("answers 401 without a known token", async () => {
    const response = await app.inject({ method: "GET", url: "/v1/messages/msg-1" });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      code: "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED",
      message: "send Authorization: Bearer <token>",
    });
  });

  it("returns a message's lifecycle to its sender and receiver, and 404 to anyone else", async () => {
    const mine = await app.inject({ method: "GET", url: "/v1/messages/msg-1", headers: auth("gp-1") });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ hubId: "msg-1", sender: "gp-1", receivers: ["hosp-1"], status: "routed" });
    expect((await app.inject({ method: "GET", url: "/v1/messages/msg-1", headers: auth("hosp-1") })).statusCode).toBe(
      200,
    );
    const other = await app.inject({ method: "GET", url: "/v1/messages/msg-1", headers: auth("other-1") });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({
      code: "CAREHUB_ERR_QUERY_NOT_FOUND",
      message: "no such message, or not one this caller may see",
    });
    expect((await app.inject({ method: "GET", url: "/v1/messages/nope", headers: auth("gp-1") })).statusCode).toBe(404);
  });

  it("pages through an endpoint's own messages, newest first", async () => {
    const first = await app.inject({
      method: "GET",
      url: "/v1/messages?receiver=hosp-1&limit=3",
      headers: auth("hosp-1"),
    });
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.items.map((m: { hubId: string }) => m.hubId)).toEqual(["msg-4", "msg-3", "msg-2"]);
    const next = await app.inject({
      method: "GET",
      url: `/v1/messages?receiver=hosp-1&limit=3&cursor=${page.nextCursor}`,
      headers: auth("hosp-1"),
    });
    expect(next.json()).toEqual({
      items: [expect.objectContaining({ hubId: "msg-1" }), expect.objectContaining({ hubId: "msg-0" })],
      nextCursor: null,
    });
  });

  it("refuses a listing that is not scoped to the caller, a bad query and a forged cursor with 400", async () => {
    const unscoped = await app.inject({ method: "GET", url: "/v1/messages", headers: auth("other-1") });
    expect(unscoped.statusCode).toBe(400);
    expect(unscoped.json().code).toBe("CAREHUB_ERR_QUERY_OUT_OF_SCOPE");
    const bad = await app.inject({
      method: "GET",
      url: "/v1/messages?sender=gp-1&limit=0&from=yesterday",
      headers: auth("gp-1"),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe("CAREHUB_ERR_QUERY_INVALID");
    const forged = await app.inject({
      method: "GET",
      url: "/v1/messages?sender=gp-1&cursor=Zm9v",
      headers: auth("gp-1"),
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe("CAREHUB_ERR_STORE_CURSOR_INVALID");
  });

  it("lets an operator list everything", async () => {
    const all = await app.inject({
      method: "GET",
      url: "/v1/messages",
      headers: { authorization: "Bearer operator-secret" },
    });
    expect(all.json().items).toHaveLength(5);
  });

  it("shows a referral to its originator and counterpart only", async () => {
    const referral = await app.inject({ method: "GET", url: "/v1/referrals/REF-1", headers: auth("gp-1") });
    expect(referral.statusCode).toBe(200);
    expect(referral.json()).toMatchObject({ type: "referral", id: "REF-1", status: "sent", originator: "gp-1" });
    expect((await app.inject({ method: "GET", url: "/v1/referrals/REF-1", headers: auth("other-1") })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ method: "GET", url: "/v1/tasks/REF-1", headers: auth("gp-1") })).statusCode).toBe(404);
  });

  it("counts per endpoint, showing an endpoint only its own rows", async () => {
    const stats = await app.inject({ method: "GET", url: "/v1/stats", headers: auth("hosp-1") });
    expect(stats.json()).toEqual({
      items: [{ endpoint: "hosp-1", role: "receiver", kind: "referral", status: "routed", count: 5 }],
    });
  });

  it("refuses a parameter it does not accept on every route, naming the accepted ones and echoing nothing", async () => {
    expect(queryPaths.length).toBeGreaterThanOrEqual(7);
    for (const path of queryPaths) {
      const response = await app.inject({
        method: "GET",
        url: `${path}?sender=gp-1&patient=0101011234&colour=0101011234`,
        headers: auth("gp-1"),
      });
      expect(response.statusCode, path).toBe(400);
      expect(response.json(), path).toEqual({
        code: "CAREHUB_ERR_QUERY_PARAMETER_UNKNOWN",
        message: expect.stringMatching(/^unknown query parameter; accepted parameters: /),
        acceptedParameters: expect.any(Array),
      });
      expect(response.body, path).not.toMatch(/colour|0101011234/);
    }
  });

  it.each(Object.values(QUERY_ERROR_CODES))("documents %s in the Tracker section of docs/errors.md", (code) => {
    const catalogue = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");
    expect(catalogue.slice(catalogue.indexOf("## Tracker"))).toContain(`| \`${code}\` |`);
  });
});
