import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AcknowledgementMissingError,
  createClient,
  createOutbox,
  createWebhookHandler,
  type Outbox,
  type SentStatus,
  type WebhookHandler,
} from "@carehub/client";
import { buildHomeCareObservation, type MessagingOrganization } from "@carehub/medcom-fhir";
import type { EventOf } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";

// The sender side of the SDK against a whole hub: a municipal acute team whose system is built on
// @carehub/client sends home-care results; the practice's system (SDK) acknowledges them, Klamer's practice
// (a bare test receiver) never does. Resend policy shortened from MedCom's 30 minutes to 400 ms.
const acuteTeam = { sor: "1144561000016002", gln: "5790000123117", name: "Akutfunktion" };
const practice = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis", ydernummer: "061654" };
const klamer = { sor: "271828000016003", gln: "5790000125012", name: "Finn Klamer", ydernummer: "989897" };
// Born 1885 (7th digit 5, YY 85) and failing modulus 11: a CPR number never issued to anyone.
const patient = { identifier: { system: "cpr" as const, value: "0101855001" }, family: "Jensen", given: ["Karen"] };
const ACK_TIMEOUT_MS = 400;

function homecare(receiver: MessagingOrganization, messageHeaderId: string): string {
  return buildHomeCareObservation({
    ids: { bundleId: randomUUID(), messageHeaderId },
    now: new Date().toISOString(),
    sender: acuteTeam,
    receiver,
    patient,
    issued: new Date().toISOString(),
    consentGiven: true,
    observations: [
      {
        system: "urn:oid:1.2.208.176.2.1",
        code: "NPU08676",
        display: "Legeme temp.;Pt",
        effective: new Date().toISOString(),
        value: { quantity: { value: 38.4, unit: "°C", code: "Cel" } },
      },
    ],
    performer: { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" },
  }).json;
}

async function sdkServer(): Promise<{ server: Server; url: string; use(handler: WebhookHandler): void }> {
  let handler: WebhookHandler | undefined;
  const server = createServer((request, response) => {
    if (handler === undefined) response.writeHead(503).end();
    else handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`;
  return {
    server,
    url,
    use: (h) => {
      handler = h;
    },
  };
}

describe("SDK resend policy against a real hub", () => {
  let h: Harness;
  let outbox: Outbox;
  // For the acknowledged case the round trip (delivery, acknowledgement, delivery back) must fit in the timeout.
  let patientOutbox: Outbox;
  const servers: Server[] = [];
  const gaveUp: { status: SentStatus; error: AcknowledgementMissingError }[] = [];
  const acknowledged: SentStatus[] = [];
  const resends: { messageId: string; duplicate: boolean; id: string }[] = [];

  beforeAll(async () => {
    const practiceSystem = await sdkServer();
    const acuteTeamSystem = await sdkServer();
    servers.push(practiceSystem.server, acuteTeamSystem.server);
    const endpoints = defaultEndpoints().map((e) => {
      if (e.id === "practice")
        return { ...e, delivery: { mode: "http" as const, url: practiceSystem.url, timeoutMs: 2_000 } };
      if (e.id === "acute-team")
        return { ...e, delivery: { mode: "http" as const, url: acuteTeamSystem.url, timeoutMs: 2_000 } };
      return e;
    });
    h = await startHarness({ endpoints });
    practiceSystem.use(createWebhookHandler({ client: createClient({ baseUrl: h.url, token: h.token("practice") }) }));
    const acuteTeamClient = createClient({ baseUrl: h.url, token: h.token("acute-team"), endpointId: "acute-team" });
    outbox = createOutbox({
      client: acuteTeamClient,
      ackTimeoutMs: ACK_TIMEOUT_MS,
      maxResends: 2,
      onGiveUp: (status, error) => gaveUp.push({ status, error }),
      onAcknowledged: (status) => acknowledged.push(status),
      onResent: (status, result) =>
        resends.push({ messageId: status.messageId, duplicate: result.duplicate, id: result.id }),
    });
    patientOutbox = createOutbox({
      client: acuteTeamClient,
      ackTimeoutMs: 20_000,
      maxResends: 2,
      onGiveUp: (status, error) => gaveUp.push({ status, error }),
      onAcknowledged: (status) => acknowledged.push(status),
      onResent: (status, result) =>
        resends.push({ messageId: status.messageId, duplicate: result.duplicate, id: result.id }),
    });
    acuteTeamSystem.use(
      createWebhookHandler({
        client: acuteTeamClient,
        onAcknowledgement: (ack) => {
          outbox.acknowledged(ack.respondsTo, ack.code);
          patientOutbox.acknowledged(ack.respondsTo, ack.code);
        },
      }),
    );
  });

  afterAll(async () => {
    outbox?.close();
    patientOutbox?.close();
    await h?.close();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it("resends an unacknowledged message twice with new envelope ids, then reports it as failed", async () => {
    const messageId = randomUUID();
    const first = await outbox.send(homecare(klamer, messageId), { contentType: "application/fhir+json" });
    expect(first).toMatchObject({ messageId, duplicate: false });
    await h.waitFor(
      async () => (gaveUp.some((g) => g.status.messageId === messageId) ? true : undefined),
      "the give-up",
      10 * ACK_TIMEOUT_MS + 5_000,
    );
    const failure = gaveUp.find((g) => g.status.messageId === messageId);
    expect(failure?.status).toMatchObject({ state: "failed", transmissions: 3, hubId: first.id });
    expect(failure?.error.code).toBe("CAREHUB_ERR_CLIENT_ACK_MISSING");
    // The hub recognised both resends as the same message (same MessageHeader.id, new Bundle.id each time) …
    const mine = resends.filter((r) => r.messageId === messageId);
    expect(mine).toEqual([
      { messageId, duplicate: true, id: first.id },
      { messageId, duplicate: true, id: first.id },
    ]);
    const duplicates = await h.waitForEvents((e) => e.type === "duplicate" && e.originalHubId === first.id, 10_000);
    expect(new Set(duplicates.map((e) => e.eventId)).size).toBe(2);
    // … and delivered the message to Klamer's practice once, which never acknowledged it.
    expect(h.receiver("klamer").accepted(messageId)).toHaveLength(1);
    const acks = (await h.events()).filter(
      (e): e is EventOf<"acknowledged"> => e.type === "acknowledged" && e.hubId === first.id,
    );
    expect(acks).toEqual([]);
    expect(outbox.tracked(messageId)?.state).toBe("failed");
  });

  it("stops at the acknowledgement when the receiver's system acknowledges", async () => {
    const messageId = randomUUID();
    const sent = await patientOutbox.send(homecare(practice, messageId), { contentType: "application/fhir+json" });
    await h.waitFor(
      async () => (acknowledged.some((a) => a.messageId === messageId) ? true : undefined),
      "the acknowledgement back at the acute team",
      10_000,
    );
    expect(acknowledged.find((a) => a.messageId === messageId)).toMatchObject({
      state: "acknowledged",
      code: "ok",
      hubId: sent.id,
    });
    expect(patientOutbox.pending()).toEqual([]);
    // The sender follows its message on the hub through the query API (its own token reads what it sent).
    const followed = await h.waitFor(
      async () => {
        const status = await patientOutbox.status(messageId);
        return status?.hub?.status === "acknowledged" ? status : undefined;
      },
      "the hub's record to say acknowledged",
      10_000,
    );
    expect(followed.hub?.perReceiver.map((r) => [r.endpoint, r.status, r.ackCode])).toEqual([
      ["practice", "acknowledged", "ok"],
    ]);
    expect(resends.filter((r) => r.messageId === messageId)).toEqual([]);
    expect(gaveUp.filter((g) => g.status.messageId === messageId)).toEqual([]);
  });
});
