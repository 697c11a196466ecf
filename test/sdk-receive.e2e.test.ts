import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, createWebhookHandler, type ReceivedMessage } from "@carehub/client";
import { buildCareCommunication, buildHomeCareObservation, serializeFhirXml } from "@carehub/medcom-fhir";
import { buildLabReport, encodeXmlText } from "@carehub/medcom-xml";
import type { EventOf, LifecycleEvent } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";

// A whole hub (real NATS, Redis, HTTP) delivering to a practice system built on @carehub/client: the SDK
// must hand each message to the application once, drop redeliveries, and acknowledge each message once.
const acuteTeam = { sor: "1144561000016002", gln: "5790000123117", name: "Akutfunktion" };
const practice = { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis", ydernummer: "061654" };
const lab = { sor: "161803000016005", gln: "5790000120284", name: "KBA Svendborg" };
// Born 1885 (7th digit 5, YY 85) and failing modulus 11: a CPR number never issued to anyone.
const patient = { identifier: { system: "cpr" as const, value: "0101855001" }, family: "Jensen", given: ["Karen"] };
const uuid = () => randomUUID();

function homecare(messageHeaderId: string): string {
  return buildHomeCareObservation({
    ids: { bundleId: uuid(), messageHeaderId },
    now: new Date().toISOString(),
    sender: acuteTeam,
    receiver: practice,
    patient,
    issued: new Date().toISOString(),
    consentGiven: true,
    observations: [
      {
        system: "urn:oid:1.2.208.176.2.1",
        code: "NPU19748",
        display: "C-reaktivt protein [CRP];P",
        effective: new Date().toISOString(),
        value: { quantity: { value: 42, unit: "mg/L", code: "mg/L" } },
      },
    ],
    performer: { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" },
  }).json;
}

function careCommunicationXml(messageHeaderId: string): string {
  const built = buildCareCommunication({
    ids: { bundleId: uuid(), messageHeaderId },
    now: new Date().toISOString(),
    sender: acuteTeam,
    receiver: practice,
    patient,
    threadId: `urn:uuid:${uuid()}`,
    category: "nursing",
    text: "Borgeren er set i dag.",
    segmentId: `urn:uuid:${uuid()}`,
    author: { family: "Holm", given: ["Lene"], role: "sygeplejerske", phone: "+4586000001" },
  });
  return serializeFhirXml(built.bundle);
}

function labReport(letterId: string): Uint8Array {
  return encodeXmlText(
    buildLabReport({
      ids: { envelopeId: `E${letterId}`, letterId },
      now: new Date(),
      ackRequested: true,
      sender: lab,
      receiver: practice,
      patient: { cpr: patient.identifier.value, surname: "Jensen", givenName: "Karen" },
      results: [{ analysisCode: "NPU02319", status: "svar_endeligt", value: "8,1", unit: "mmol/L" }],
    }),
  );
}

describe("SDK receiving from a real hub", () => {
  let h: Harness;
  let server: Server;
  const handled: ReceivedMessage[] = [];
  const requests: string[] = [];
  // The practice system loses the HTTP answer for these message ids once (the socket is cut after it handled
  // the message), so the hub delivers them again.
  const loseAnswerOnce = new Set<string>();
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const messageId = String(request.headers["carehub-message-id"] ?? "");
      requests.push(messageId);
      if (loseAnswerOnce.delete(messageId)) {
        response.end = (() => {
          request.socket.destroy();
          return response;
        }) as typeof response.end;
      }
      if (handler === undefined) response.writeHead(503).end();
      else handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`;
    const endpoints = defaultEndpoints().map((e) =>
      e.id === "practice" ? { ...e, delivery: { mode: "http" as const, url, timeoutMs: 2_000 } } : e,
    );
    h = await startHarness({ endpoints });
    handler = createWebhookHandler({
      client: createClient({ baseUrl: h.url, token: h.token("practice"), endpointId: "practice" }),
      onMessage: (received) => void handled.push(received),
    });
  });

  afterAll(async () => {
    await h?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const acknowledgedEvents = async (hubId: string) =>
    (await h.events()).filter((e): e is EventOf<"acknowledged"> => e.type === "acknowledged" && e.hubId === hubId);

  async function send(endpointId: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const response = await h.send(endpointId, body, contentType);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  it("acknowledges every message once, whatever its format, with the hub matching each acknowledgement", async () => {
    const sent = [
      { id: await send("acute-team", homecare("e2e-hco-1"), "application/fhir+json"), messageId: "e2e-hco-1" },
      { id: await send("acute-team", careCommunicationXml("e2e-cc-1"), "application/fhir+xml"), messageId: "e2e-cc-1" },
      { id: await send("lab", labReport("E2ELAB1"), "application/xml"), messageId: "E2ELAB1" },
    ];
    for (const { id } of sent) {
      await h.waitForEvents((e) => e.type === "acknowledged" && e.hubId === id, 15_000);
    }
    for (const { id, messageId } of sent) {
      const acks = await acknowledgedEvents(id);
      expect(acks.map((a) => [a.endpoint, a.code])).toEqual([["practice", "ok"]]);
      expect(handled.filter((r) => r.message.messageId === messageId)).toHaveLength(1);
    }
    // Each acknowledgement went through the hub as a message of its own, to the original sender's system.
    const ackHubIds = new Set(
      (await h.events()).flatMap((e) => (e.type === "acknowledged" && e.ackHubId ? [e.ackHubId] : [])),
    );
    expect(ackHubIds.size).toBe(3);
    await h.waitFor(
      async () => (h.receiver("lab").accepted().length === 1 ? true : undefined),
      "the XCTL03 at the lab",
    );
    expect(h.receiver("lab").accepted()[0]?.kind).toBe("acknowledgement");
  });

  it("drops a redelivery after a lost answer and acknowledges the message once", async () => {
    loseAnswerOnce.add("e2e-hco-2");
    const hubId = await send("acute-team", homecare("e2e-hco-2"), "application/fhir+json");
    await h.waitForEvents((e) => e.type === "delivered" && e.hubId === hubId && e.endpoint === "practice", 20_000);
    // Delivered on the second attempt, after the first answer was lost.
    expect(requests.filter((m) => m === "e2e-hco-2").length).toBe(2);
    await h.waitForEvents((e) => e.type === "acknowledged" && e.hubId === hubId, 15_000);
    expect(handled.filter((r) => r.message.messageId === "e2e-hco-2")).toHaveLength(1);
    // The SDK answered the copy with the same acknowledgement (same message id): the hub counts it once and
    // records the repeat as a duplicate of the acknowledgement.
    const acks = await acknowledgedEvents(hubId);
    expect(acks).toHaveLength(1);
    const ackHubId = acks[0]?.ackHubId;
    expect(ackHubId).toBeDefined();
    await h.waitForEvents((e: LifecycleEvent) => e.type === "duplicate" && e.originalHubId === ackHubId, 15_000);
  });
});
