import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateWebhookSecret, signWebhook } from "@carehub/webhook-signature";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./hub-client.ts";
import { careCommunication, labReport, municipality, practice } from "./medcom-fixtures.test-support.ts";
import type { ReceivedAcknowledgement } from "./receiver.ts";
import { startRecordingGateway } from "./recording-gateway.test-support.ts";
import { createWebhookHandler, type WebhookHandlerOptions } from "./webhook-handler.ts";

// Real MedCom messages over real loopback HTTP: a webhook endpoint built with the SDK, and a stand-in for
// the gateway's POST /v1/messages that records the acknowledgements the endpoint sends back.
const servers: Server[] = [];
const gateways: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function setup(overrides: Partial<WebhookHandlerOptions> = {}) {
  const gateway = await startRecordingGateway();
  gateways.push(gateway);
  const client = createClient({ baseUrl: gateway.url, token: "t" });
  const handled: string[] = [];
  const handler = createWebhookHandler({
    client,
    onMessage: (received) => void handled.push(received.message.messageId),
    ...overrides,
  });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deliver = async (body: string | Uint8Array, contentType: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/messages`, {
      method: "POST",
      body,
      headers: { "content-type": contentType, ...headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { deliver, acks: gateway.received, parsedAcks: gateway.parsed, handled, refuseNext: gateway.refuseNext };
}

describe("webhook handler with real MedCom messages", () => {
  it("acknowledges a FHIR message once with a valid MedCom Acknowledgement back to its sender", async () => {
    const { deliver, parsedAcks, handled } = await setup();
    const result = await deliver(careCommunication("mh-1", "b-1"), "application/fhir+json", { "carehub-hub-id": "h1" });
    expect(result).toMatchObject({ status: 200, body: { outcome: "accepted", code: "ok", acknowledged: true } });
    expect(handled).toEqual(["mh-1"]);
    const [ack] = parsedAcks();
    expect(ack?.kind).toBe("acknowledgement");
    expect(ack?.content).toMatchObject({ kind: "acknowledgement", code: "ok", respondsTo: "mh-1" });
    expect(ack?.sender.gln).toBe(practice.gln);
    expect(ack?.receivers[0]?.gln).toBe(municipality.gln);
  });

  it("drops a redelivered copy and a MedCom resend, answering each with the same acknowledgement", async () => {
    const { deliver, parsedAcks, handled } = await setup();
    await deliver(careCommunication("mh-1", "b-1"), "application/fhir+json");
    const again = await deliver(careCommunication("mh-1", "b-1"), "application/fhir+json");
    const resend = await deliver(careCommunication("mh-1", "b-2"), "application/fhir+json");
    expect([again.body.outcome, resend.body.outcome]).toEqual(["duplicate", "duplicate"]);
    expect(handled).toEqual(["mh-1"]);
    const acks = parsedAcks();
    expect(acks).toHaveLength(3);
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(1);
    expect(new Set(acks.map((a) => a.envelopeId)).size).toBe(3);
  });

  it("answers an OIOXML letter with an XCTL03 only when a receipt was asked for", async () => {
    const { deliver, parsedAcks } = await setup();
    await deliver(labReport("L1", false), "application/xml");
    await deliver(labReport("L2", true), "application/xml");
    const acks = parsedAcks();
    expect(acks).toHaveLength(1);
    expect(acks[0]?.standard).toContain("XCTL03");
    expect(acks[0]?.content).toMatchObject({ kind: "acknowledgement", code: "ok", respondsTo: "L2" });
  });

  it("answers with XCTL02 when the application refuses a letter", async () => {
    const { deliver, parsedAcks } = await setup({
      onMessage: () => ({ code: "fatal-error", issues: [{ severity: "error", code: "problem_med_modtagerID" }] }),
    });
    await deliver(labReport("L3", false), "application/xml");
    const [ack] = parsedAcks();
    expect(ack?.standard).toContain("XCTL02");
    expect(ack?.content).toMatchObject({ code: "fatal-error", respondsTo: "L3" });
  });

  it("answers a message it cannot validate with a fatal-error acknowledgement, not the application", async () => {
    const { deliver, parsedAcks, handled } = await setup();
    const broken = JSON.parse(careCommunication("mh-9", "b-9")) as { entry: { resource: Record<string, unknown> }[] };
    delete broken.entry[0]?.resource.eventCoding;
    const result = await deliver(JSON.stringify(broken), "application/fhir+json");
    expect(result.body).toMatchObject({ outcome: "invalid", code: "fatal-error" });
    expect(handled).toEqual([]);
    expect(parsedAcks()[0]?.content).toMatchObject({ code: "fatal-error", respondsTo: "mh-9" });
  });

  it("answers 503 while the acknowledgement cannot be sent, then acknowledges the redelivery without handling it twice", async () => {
    const { deliver, parsedAcks, handled, refuseNext } = await setup();
    refuseNext(1);
    const first = await deliver(careCommunication("mh-1", "b-1"), "application/fhir+json");
    expect(first.status).toBe(503);
    const redelivery = await deliver(careCommunication("mh-1", "b-1"), "application/fhir+json");
    expect(redelivery.status).toBe(200);
    expect(handled).toEqual(["mh-1"]);
    expect(parsedAcks()).toHaveLength(1);
  });

  it("answers 400 to bytes that name nothing to acknowledge", async () => {
    const { deliver, acks } = await setup();
    const result = await deliver("{not json", "application/fhir+json");
    expect(result).toMatchObject({ status: 400, body: { code: "CAREHUB_ERR_CLIENT_UNREADABLE_DELIVERY" } });
    expect(acks).toEqual([]);
  });

  it("hands acknowledgements to onAcknowledgement and never acknowledges them", async () => {
    const received: ReceivedAcknowledgement[] = [];
    const sender = await setup();
    await sender.deliver(careCommunication("mh-1", "b-1"), "application/fhir+json");
    const ack = sender.acks[0];
    if (ack === undefined) throw new Error("no ack");
    const receiver = await setup({ onAcknowledgement: (a) => void received.push(a) });
    const result = await receiver.deliver(ack.body, ack.contentType);
    expect(result.body).toMatchObject({ outcome: "acknowledgement", respondsTo: "mh-1" });
    expect(received.map((a) => [a.respondsTo, a.code])).toEqual([["mh-1", "ok"]]);
    expect(receiver.acks).toEqual([]);
  });
});

describe("webhook handler with signing secrets", () => {
  const secret = generateWebhookSecret();
  const nextSecret = generateWebhookSecret();
  const body = careCommunication("mh-signed", "b-1");
  const signedBy = (secrets: string[], options: { at?: number; bytes?: string } = {}) =>
    signWebhook({
      id: "0190f3a2-7c1e-7000-8000-000000000042",
      timestampSeconds: Math.floor((options.at ?? Date.now()) / 1000),
      body: Buffer.from(options.bytes ?? body, "utf8"),
      secrets,
    });

  async function signedSetup() {
    const errors: unknown[] = [];
    const endpoint = await setup({ signingSecrets: [secret], onError: (error) => errors.push(error) });
    return { ...endpoint, errors };
  }

  it("takes a delivery signed with its secret, also while the hub signs with a second one (rotation)", async () => {
    const { deliver, handled, parsedAcks } = await signedSetup();
    const result = await deliver(body, "application/fhir+json", signedBy([nextSecret, secret]));
    expect(result).toMatchObject({ status: 200, body: { outcome: "accepted", acknowledged: true } });
    expect(handled).toEqual(["mh-signed"]);
    expect(parsedAcks()).toHaveLength(1);
  });

  it.each([
    ["unsigned", () => ({}), "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISSING"],
    ["signed with another secret", () => signedBy([generateWebhookSecret()]), "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH"],
    [
      "signed over other bytes",
      () => signedBy([secret], { bytes: careCommunication("mh-other", "b-9") }),
      "CAREHUB_ERR_WEBHOOK_SIGNATURE_MISMATCH",
    ],
    [
      "replayed 10 minutes later",
      () => signedBy([secret], { at: Date.now() - 600_000 }),
      "CAREHUB_ERR_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE",
    ],
    [
      "dated 10 minutes ahead",
      () => signedBy([secret], { at: Date.now() + 600_000 }),
      "CAREHUB_ERR_WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE",
    ],
  ])(
    "refuses a forged delivery (%s) with 401 before the application or an acknowledgement",
    async (_, headers, code) => {
      const { deliver, handled, acks, errors } = await signedSetup();
      const result = await deliver(body, "application/fhir+json", headers());
      expect(result.status).toBe(401);
      expect(result.body).toMatchObject({ code });
      expect(String(result.body.message)).not.toBe("");
      expect(handled).toEqual([]);
      expect(acks).toHaveLength(0);
      expect(errors).toHaveLength(1);
    },
  );

  it("refuses a malformed secret when it is created, not at the first delivery", () => {
    expect(() =>
      createWebhookHandler({
        client: createClient({ baseUrl: "http://127.0.0.1:9", token: "t" }),
        onMessage: () => "ok",
        signingSecrets: ["not-a-secret"],
      }),
    ).toThrow("a webhook secret starts with whsec_");
  });
});
