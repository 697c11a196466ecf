import { readFileSync } from "node:fs";
import { openTestNamespace, type TestNamespace } from "@carehub/bus/testing";
import { parseMessage } from "@carehub/formats";
import { ingressHubId, ledgerKeys, messageHubId, parseFirstCopy } from "@carehub/ledger";
import { metricValue } from "@carehub/observability";
import { EndpointRegistry } from "@carehub/registry";
import { medcomExamplesDir } from "@carehub/testkit/medcom-fixtures";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleRegistry } from "../test/example-registry.ts";
import { countingLogger } from "../test/request-children.ts";
import { createGatewayApp } from "./app.ts";

const EXAMPLES = medcomExamplesDir();
const homecare = readFileSync(`${EXAMPLES}/fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json`);
const HOMECARE_MESSAGE_ID = "489de4f2-0d8d-4de2-a7ce-ccb93568799f";
const FIXTURES = new URL("../../../test/fixtures/medcom/examples/", import.meta.url);
const practiceAck = readFileSync(
  new URL("fhir/acknowledgement/ig-a8c041b8-c65a-4fde-a90f-962076918834.json", FIXTURES),
);
/** Past JetStream's 10-minute duplicate window: only the ledger can still know a first copy. */
const ELEVEN_MINUTES = 11 * 60_000;

describe("gateway against real NATS and Redis", () => {
  let ns: TestNamespace;
  let app: FastifyInstance;
  let now = new Date("2026-03-01T10:00:00.000Z");

  beforeAll(async () => {
    ns = await openTestNamespace("gw");
    app = await createGatewayApp({
      config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 1 },
      registry: EndpointRegistry.from(exampleRegistry),
      bus: ns.bus,
      redis: ns.redis,
      clock: () => now,
    });
  });
  afterAll(async () => {
    await app?.close();
    await ns?.close();
  });

  const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: "Bearer acute-token", "content-type": "application/fhir+json", ...headers },
      payload: body,
    });

  const streamCount = async (role: "ingress" | "events" | "outbox") =>
    (await ns.bus.jsm.streams.info(ns.bus.topology.streams[role])).state.messages;

  /**
   * Moves past JetStream's duplicate window: INGRESS made anew holds no dedup ids (as after 10 minutes), and
   * the gateway's clock moves 11 minutes on. Only the ledger can then recognise a repeat, so these tests fail
   * when the gateway's ledger look-up is removed (JetStream would answer them inside its window).
   */
  async function pastTheDuplicateWindow(): Promise<void> {
    await ns.bus.jsm.streams.delete(ns.bus.topology.streams.ingress);
    await ns.bus.provision();
    now = new Date(now.getTime() + ELEVEN_MINUTES);
  }

  it("refuses a request without a token, or with an unknown one, before reading the body", async () => {
    const none = await send(homecare, { authorization: "" });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ code: "CAREHUB_ERR_GATEWAY_UNAUTHENTICATED", message: expect.any(String) });
    expect(none.headers["www-authenticate"]).toContain("Bearer");
    const unknown = await send(homecare, { authorization: "Bearer not-a-token" });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe("CAREHUB_ERR_GATEWAY_UNAUTHENTICATED");
  });

  it("refuses content types it does not take, an empty body, an oversized body and undecodable bytes", async () => {
    const json = await send(homecare, { "content-type": "application/json" });
    expect([json.statusCode, json.json().code]).toEqual([415, "CAREHUB_ERR_GATEWAY_UNSUPPORTED_MEDIA_TYPE"]);
    const empty = await send("");
    expect([empty.statusCode, empty.json().code]).toEqual([400, "CAREHUB_ERR_GATEWAY_EMPTY_BODY"]);
    const large = await send(Buffer.alloc(64 * 1024 + 1, 0x20));
    expect([large.statusCode, large.json().code]).toEqual([413, "CAREHUB_ERR_GATEWAY_BODY_TOO_LARGE"]);
    const binary = await send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
    expect([binary.statusCode, binary.json().code]).toEqual([400, "CAREHUB_ERR_GATEWAY_UNDECODABLE_BODY"]);
    expect(await streamCount("ingress")).toBe(0);
  });

  it("stores an authenticated message on INGRESS with the contract headers and answers 202", async () => {
    const response = await send(homecare, { "content-type": "application/json+fhir" });
    expect(response.statusCode).toBe(202);
    const hubId = messageHubId(ns.namespace, "acute-team", HOMECARE_MESSAGE_ID);
    expect(response.json()).toEqual({ id: hubId, messageId: HOMECARE_MESSAGE_ID, status: "received" });
    const stored = await ns.bus.getMessage(ns.bus.topology.streams.ingress, 1);
    expect(stored?.subject).toBe(`${ns.namespace}.ingress.acute-team`);
    expect(Buffer.from(stored?.data ?? []).equals(homecare)).toBe(true);
    expect(stored?.headers).toMatchObject({
      "Nats-Msg-Id": hubId,
      "Carehub-Hub-Id": hubId,
      "Carehub-Source-Endpoint": "acute-team",
      "Content-Type": "application/fhir+json",
      "Carehub-Schema-Version": "1",
    });
    expect(Date.parse(stored?.headers["Carehub-Received-At"] ?? "")).not.toBeNaN();
    const keys = ledgerKeys(ns.namespace);
    // A field of the message's marker hash (0124).
    const record = await ns.redis.hget(keys.firstCopy("acute-team", HOMECARE_MESSAGE_ID), keys.firstCopyField);
    expect(record).toBe("1"); // its position alone: the hub id is the one the key derives (0082)
    expect(parseFirstCopy(record, hubId)).toEqual({ hubId, seq: 1 });
  });

  it("recognises a repeat past JetStream's duplicate window: the first id, nothing stored, one duplicate event", async () => {
    await pastTheDuplicateWindow();
    const hubId = messageHubId(ns.namespace, "acute-team", HOMECARE_MESSAGE_ID);
    const repeat = await send(homecare);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual({ id: hubId, messageId: HOMECARE_MESSAGE_ID, status: "duplicate", duplicate: true });
    await send(homecare); // the same transmission again is the same fact
    expect(await streamCount("ingress")).toBe(0);
    expect(await streamCount("events")).toBe(1);
    const event = await ns.bus.getMessage(ns.bus.topology.streams.events, 1);
    expect(event?.subject).toBe(`${ns.namespace}.events.duplicate`);
    expect(JSON.parse(Buffer.from(event?.data ?? []).toString())).toMatchObject({
      type: "duplicate",
      hubId,
      originalHubId: hubId,
      sourceEndpoint: "acute-team",
      messageId: HOMECARE_MESSAGE_ID,
    });
  });

  it("answers a repeat with a new Bundle.id but the first copy's acknowledgement: same outcome, same response.identifier", async () => {
    const hubId = messageHubId(ns.namespace, "acute-team", HOMECARE_MESSAGE_ID);
    await ns.redis.set(
      ledgerKeys(ns.namespace).relayedAcknowledgement(hubId),
      JSON.stringify({
        contentType: "application/fhir+json",
        base64: practiceAck.toString("base64"),
        sourceEndpoint: "practice",
      }),
    );
    await pastTheDuplicateWindow();
    // A resend carries a new Bundle.id: a different transmission of the same message (same MessageHeader.id).
    const resend = await send(
      Buffer.from(
        homecare.toString().replace("401cbc36-db1e-4fe0-bf90-6df331dde179", "401cbc36-db1e-4fe0-bf90-000000000001"),
      ),
    );
    expect(resend.statusCode).toBe(200);
    expect(await streamCount("ingress")).toBe(0);
    expect(await streamCount("outbox")).toBe(1);
    const outbox = await ns.bus.getMessage(ns.bus.topology.streams.outbox, 1);
    expect(outbox?.subject).toBe(`${ns.namespace}.outbox.acute-team`);
    expect(outbox?.headers).toMatchObject({
      "Carehub-Receiver": "acute-team",
      "Carehub-Kind": "acknowledgement",
      "Carehub-Source-Endpoint": "practice",
      "Content-Type": "application/fhir+json",
    });
    expect(outbox?.headers["Carehub-Hub-Id"]).not.toBe(hubId);
    const first = parseMessage(practiceAck);
    const again = parseMessage(outbox?.data ?? new Uint8Array());
    if (!first.ok || !again.ok) throw new Error("an acknowledgement does not parse");
    expect(again.message.content).toEqual(first.message.content);
    expect(again.message.envelopeId).not.toBe(first.message.envelopeId);
    expect(again.message.messageId).not.toBe(first.message.messageId);
    expect(again.message.messageId).toBe(outbox?.headers["Carehub-Message-Id"]);
    expect(again.message.sentAt).toBe(now.toISOString());
  });

  it("changes nothing for a repeated identical acknowledgement: not stored again, not answered", async () => {
    const first = await send(practiceAck, { authorization: "Bearer practice-token" });
    expect(first.statusCode).toBe(202);
    const outboxBefore = await streamCount("outbox");
    await pastTheDuplicateWindow();
    const repeat = await send(practiceAck, { authorization: "Bearer practice-token" });
    expect([repeat.statusCode, repeat.json().id]).toEqual([200, first.json().id]);
    expect(await streamCount("ingress")).toBe(0);
    expect(await streamCount("outbox")).toBe(outboxBefore);
  });

  it("stores a message it cannot read under the id of its INGRESS position: intake rejects it, nothing is lost", async () => {
    const before = (await ns.bus.jsm.streams.info(ns.bus.topology.streams.ingress)).state.last_seq;
    const response = await send("<not-medcom/>", { "content-type": "text/xml" });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({
      id: ingressHubId(ns.bus.topology.streams.ingress, before + 1),
      status: "received",
    });
    const stored = await ns.bus.getMessage(ns.bus.topology.streams.ingress, before + 1);
    expect(stored?.headers["Carehub-Hub-Id"]).toBeUndefined();
  });

  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await app.inject({ url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: "ok", checks: { nats: "ok", redis: "ok" } }]);
    const metrics = await app.inject({ url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain("carehub_messages_total");
    const openapi = await app.inject({ url: "/openapi.json" });
    expect(openapi.headers["content-type"]).toContain("application/json");
    expect(openapi.json().openapi).toBe("3.1.0");
    const missing = await app.inject({ url: "/nowhere" });
    expect([missing.statusCode, missing.json().code]).toEqual([404, "CAREHUB_ERR_GATEWAY_NOT_FOUND"]);
  });

  it("counts every answer on /metrics by route pattern, method and status, never by the URL", async () => {
    const count = (route: string, status: string) =>
      metricValue("carehub_http_requests_total", { route, method: "GET", status });
    const before = {
      read: await count("/v1/messages/:id", "401"),
      unmatched: await count("unmatched", "404"),
    };
    const probe = "0190f3a2-7c1e-7000-8000-00000000beef";
    expect((await app.inject({ url: `/v1/messages/${probe}` })).statusCode).toBe(401);
    expect((await app.inject({ url: `/nowhere/${probe}` })).statusCode).toBe(404);
    expect(await count("/v1/messages/:id", "401")).toBe(before.read + 1);
    expect(await count("unmatched", "404")).toBe(before.unmatched + 1);
    expect((await app.inject({ url: "/metrics" })).body).not.toContain(probe);
  });

  it("makes no request logger for a message it takes (fastify's child per request, made only when it logs)", async () => {
    const { logger, requestChildren } = countingLogger("gw-test");
    const logged = await createGatewayApp({
      config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 1 },
      registry: EndpointRegistry.from(exampleRegistry),
      bus: ns.bus,
      redis: ns.redis,
      logger,
    });
    try {
      const answer = await logged.inject({
        method: "POST",
        url: "/v1/messages",
        headers: { authorization: "Bearer acute-token", "content-type": "application/fhir+json" },
        payload: homecare,
      });
      expect([200, 202]).toContain(answer.statusCode);
      expect(requestChildren()).toBe(0);
      // The query API's requests keep theirs (their access records log through it).
      await logged.inject({ method: "GET", url: "/v1/messages/x", headers: { authorization: "Bearer acute-token" } });
      expect(requestChildren()).toBe(1);
    } finally {
      await logged.close();
    }
  });

  it("answers 503 when NATS or Redis cannot take the message", async () => {
    const deadRedis = new Redis("redis://127.0.0.1:1", {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    deadRedis.on("error", () => {}); // expected: nothing listens there
    const withoutRedis = await createGatewayApp({
      config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 1 },
      registry: EndpointRegistry.from(exampleRegistry),
      bus: ns.bus,
      redis: deadRedis,
    });
    const noRedis = await withoutRedis.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: "Bearer practice-token", "content-type": "application/fhir+json" },
      payload: homecare,
    });
    expect([noRedis.statusCode, noRedis.json().code]).toEqual([503, "CAREHUB_ERR_GATEWAY_UNAVAILABLE"]);
    expect((await withoutRedis.inject({ url: "/readyz" })).statusCode).toBe(503);
    await withoutRedis.close();
    deadRedis.disconnect();

    const closedBus = await openTestNamespace("gw-closed");
    const withoutNats = await createGatewayApp({
      config: { httpHost: "127.0.0.1", httpPort: 0, maxBodyBytes: 64 * 1024, retentionDays: 1 },
      registry: EndpointRegistry.from(exampleRegistry),
      bus: closedBus.bus,
      redis: ns.redis,
    });
    await closedBus.close();
    const noNats = await withoutNats.inject({
      method: "POST",
      url: "/v1/messages",
      headers: { authorization: "Bearer practice-token", "content-type": "application/xml" },
      payload: "<x/>",
    });
    expect([noNats.statusCode, noNats.json().code]).toEqual([503, "CAREHUB_ERR_GATEWAY_UNAVAILABLE"]);
    await withoutNats.close();
  });
});
