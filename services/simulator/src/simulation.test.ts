import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateWebhookSecret, signWebhook } from "@carehub/webhook-signature";
import { afterEach, describe, expect, it } from "vitest";
import type { PlannedMessage } from "./planner.ts";
import { smallScenario } from "./scenario.ts";
import { sha256Hex } from "./scenario-registry.ts";
import { createSimulation, type Simulation } from "./simulation.ts";

/**
 * A stand-in for the gateway's POST /v1/messages that records what arrives and who sent it (by token hash),
 * so these tests see the simulation's real HTTP sends without a hub.
 */
async function recordingGateway() {
  const received: { tokenHash: string; contentType: string; sha256: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      received.push({
        tokenHash: sha256Hex(token),
        contentType: request.headers["content-type"] ?? "",
        sha256: createHash("sha256").update(body).digest("hex"),
      });
      response.writeHead(202, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ id: `hub-${received.length}`, messageId: `m-${received.length}`, status: "received" }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const running: Simulation[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((simulation) => simulation.stop()));
});

async function run(seed: number, limit: number) {
  const gateway = await recordingGateway();
  const planned: PlannedMessage[] = [];
  const simulation = createSimulation({
    seed,
    rate: 400,
    scenario: smallScenario(),
    hubUrl: gateway.url,
    startTime: Date.parse("2026-03-02T08:00:00Z"),
    limit,
    onPlanned: (message) => planned.push(message),
  });
  running.push(simulation);
  const { registry } = await simulation.listen();
  await simulation.start();
  while (gateway.received.length < limit) await new Promise((resolve) => setTimeout(resolve, 10));
  await simulation.stop();
  await gateway.close();
  const endpointOfHash = new Map(registry.endpoints.map((e) => [e.auth.tokenSha256[0], e.id]));
  const sent = planned.map(
    (m) => `${m.seq}|${m.kind}|${m.from}|${m.to}|${createHash("sha256").update(m.body).digest("hex")}`,
  );
  const arrived = gateway.received.map((r) => `${endpointOfHash.get(r.tokenHash)}|${r.sha256}`).sort();
  return { sent, arrived, planned, simulation };
}

describe("simulation", () => {
  it("sends the same sequence of messages for the same seed and rate, and another for another seed", async () => {
    const first = await run(21, 60);
    const second = await run(21, 60);
    const other = await run(22, 60);
    expect(first.sent).toHaveLength(60);
    expect(second.sent).toEqual(first.sent);
    expect(other.sent).not.toEqual(first.sent);
    // What the hub got is exactly what was planned, each from the endpoint the plan names.
    const plannedArrivals = first.planned
      .map((m) => `${m.from}|${createHash("sha256").update(m.body).digest("hex")}`)
      .sort();
    expect(first.arrived).toEqual(plannedArrivals);
    expect(first.simulation.stats()).toMatchObject({ planned: 60, sent: 60 });
  });

  it("plans up front exactly what it then sends", async () => {
    const { planned, simulation } = await run(5, 30);
    const fingerprint = (m: PlannedMessage) => `${m.kind}|${m.from}|${m.to}|${m.messageId}|${m.envelopeId}`;
    expect(simulation.plannedMessages(30).map(fingerprint)).toEqual(planned.map(fingerprint));
  });

  it("verifies the hub's signature on every webhook delivery and refuses a forged one with 401", async () => {
    const gateway = await recordingGateway();
    const simulation = createSimulation({ seed: 3, rate: 1, scenario: smallScenario(), hubUrl: gateway.url, limit: 1 });
    running.push(simulation);
    const { registry, signingSecrets } = await simulation.listen();
    await simulation.start();
    // A message the plan addresses to an endpoint the hub reaches by webhook, as the hub would deliver it.
    const message = simulation.plannedMessages(40).find((m) => {
      const receiver = registry.endpoints.find((e) => e.id === m.to);
      return receiver?.delivery.mode === "http" && m.seq > 1;
    });
    const receiver = registry.endpoints.find((e) => e.id === message?.to);
    if (message === undefined || receiver?.delivery.mode !== "http") throw new Error("no webhook delivery planned");
    const body = typeof message.body === "string" ? Buffer.from(message.body, "utf8") : Buffer.from(message.body);
    const deliver = async (signature: Record<string, string>) => {
      const response = await fetch(receiver.delivery.mode === "http" ? receiver.delivery.url : "", {
        method: "POST",
        body,
        headers: {
          "content-type": message.contentType,
          "carehub-hub-id": "0190f3a2-7c1e-7000-8000-00000000beef",
          "carehub-message-id": message.messageId,
          "carehub-kind": message.kind,
          "carehub-source-endpoint": message.from,
          ...signature,
        },
      });
      return { status: response.status, body: (await response.json()) as { code?: string } };
    };
    const sign = (secret: string) =>
      signWebhook({
        id: "0190f3a2-7c1e-7000-8000-00000000beef",
        timestampSeconds: Math.floor(Date.now() / 1000),
        body,
        secrets: [secret],
      });
    const secret = signingSecrets[receiver.id] ?? "";

    const unsigned = await deliver({});
    const forged = await deliver(sign(generateWebhookSecret()));
    expect([unsigned.status, forged.status]).toEqual([401, 401]);
    expect([unsigned.body.code, forged.body.code]).toEqual([
      "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISSING",
      "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH",
    ]);
    expect(simulation.stats()).toMatchObject({ forgedRefused: 2, received: 0 });

    const genuine = await deliver(sign(secret));
    expect(genuine.status).toBe(200);
    expect(simulation.stats()).toMatchObject({ forgedRefused: 2, received: 1 });
    await simulation.stop();
    await gateway.close();
  });
});
