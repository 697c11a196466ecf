import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildAcknowledgement, buildHomeCareObservation, parseFhirMessage } from "@carehub/medcom-fhir";
import { buildReceipt, encodeXmlText, parseOioxmlMessage } from "@carehub/medcom-xml";
import type { LifecycleEvent, MessageLifecycle, MessagePage, ParsedMessage, Party } from "@carehub/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEndpoints, type Harness, startHarness } from "./src/harness.ts";

/**
 * Who may state a fact about someone else's message (docs/architecture.md, "Who may state which fact"), shown
 * against a whole hub with hostile endpoints: a stranger that acknowledges a message it never received (FHIR
 * Acknowledgement, OIOXML XCTL receipt; through the HTTP gateway and published on NATS) or corrects a message
 * another endpoint sent is refused with its code, answered with a negative acknowledgement, changes nothing and
 * gains no read access; the legitimate receiver's acknowledgement and the original sender's correction still work.
 */

const EXAMPLES = new URL("./fixtures/medcom/examples/", import.meta.url);
/** The acute team (a municipality) sends this HomeCareObservation to the practice. */
const HOMECARE = readFileSync(
  new URL("fhir/homecareobservation/ig-401cbc36-db1e-4fe0-bf90-6df331dde179.json", EXAMPLES),
);
/** …and this one corrects it (modified-message). */
const HOMECARE_CORRECTION = readFileSync(
  new URL("fhir/homecareobservation/ig-73996cdc-3192-4d15-bd16-c365ef0085e7.json", EXAMPLES),
);
/** The lab sends this lab report letter to Klamer's practice. */
const LAB_LETTER = readFileSync(new URL("oioxml/XRPT01_2.xml", EXAMPLES));

const ACK_REFUSED = "CAREHUB_ERR_ROUTE_ACK_NOT_A_RECEIVER";
const CORRECTION_REFUSED = "CAREHUB_ERR_ROUTE_CORRECTION_NOT_ORIGINAL_SENDER";

/** A GLN with a correct GS1 mod-10 check digit. */
function gln(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}
/** A registered practice with no part in anything the others send. */
const STRANGER = { id: "stranger", sor: "314159000016002", gln: gln("579000031415"), name: "Fremmed Lægepraksis" };
const STRANGER_PARTY: Party = { sor: STRANGER.sor, gln: STRANGER.gln, name: STRANGER.name };

let h: Harness;
let events: LifecycleEvent[] = [];
/** M: the acute team's observation, delivered to the practice; the stranger has no part in it. */
let observation: ParsedMessage;
let observationHubId: string;

async function send(from: string, bytes: Uint8Array, contentType: string): Promise<string> {
  const response = await h.send(from, bytes, contentType);
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

function get(path: string, as: string): Promise<Response> {
  return fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token(as)}` } });
}

async function lifecycle(hubId: string): Promise<MessageLifecycle | undefined> {
  const response = await get(`/v1/messages/${hubId}`, "operator");
  return response.status === 200 ? ((await response.json()) as MessageLifecycle) : undefined;
}

/** Waits until the read model shows the message with the status. */
function statusBecomes(hubId: string, status: MessageLifecycle["status"]): Promise<MessageLifecycle> {
  return h.waitFor(async () => {
    const found = await lifecycle(hubId);
    return found?.status === status ? found : undefined;
  }, `${hubId} to be ${status}`);
}

async function waitForEvent(predicate: (e: LifecycleEvent) => boolean, what: string): Promise<LifecycleEvent> {
  return h.waitFor(async () => {
    events = await h.events();
    return events.find(predicate);
  }, what);
}

function parse(bytes: Uint8Array): ParsedMessage {
  const result = bytes[0] === 0x3c ? parseOioxmlMessage(bytes) : parseFhirMessage(bytes, { format: "fhir+json" });
  if (!result.ok) throw new Error(`does not parse: ${JSON.stringify(result.issues)}`);
  return result.message;
}

/** An acknowledgement from `acknowledger` of a FHIR message, addressed to the message's sender. */
function fhirAck(original: ParsedMessage, acknowledger: Party): { bytes: Uint8Array; messageId: string } {
  const messageHeaderId = randomUUID();
  const built = buildAcknowledgement({
    original: { messageId: original.messageId, sender: original.sender, receivers: original.receivers },
    acknowledger,
    code: "ok",
    ids: { bundleId: randomUUID(), messageHeaderId },
    now: new Date().toISOString(),
  });
  return { bytes: Buffer.from(built.json), messageId: messageHeaderId };
}

/** A positive XCTL03 receipt from `acknowledger` of an OIOXML letter, addressed to the letter's sender. */
function receipt(letter: ParsedMessage, acknowledger: Party): { bytes: Uint8Array; messageId: string } {
  const letterId = randomUUID().replace(/-/g, "").slice(0, 14).toUpperCase();
  const xml = buildReceipt({
    type: "XCTL03",
    original: {
      envelopeId: letter.envelopeId ?? letter.messageId,
      letterId: letter.messageId,
      ...(letter.standardVersion === undefined ? {} : { versionCode: letter.standardVersion }),
      sender: letter.sender,
      receiver: acknowledger,
    },
    ids: { envelopeId: letterId, letterId },
    now: new Date(),
  });
  return { bytes: encodeXmlText(xml), messageId: letterId };
}

/** The answers the hub delivered to an endpoint about one of its messages (by the id the answer refers to). */
function answersTo(endpoint: string, messageId: string): ParsedMessage[] {
  return h
    .receiver(endpoint)
    .deliveries.filter((d) => d.kind === "acknowledgement" && d.headers["carehub-source-endpoint"] === "carehub")
    .map((d) => parse(d.body))
    .filter((m) => m.content.kind === "acknowledgement" && m.content.respondsTo === messageId);
}

/** What the router put on OUTBOX for a message, by receiver. */
async function outboxReceiversOf(hubId: string): Promise<string[]> {
  const copies = (await h.streamMessages("outbox")).filter((m) => m.headers["Carehub-Hub-Id"] === hubId);
  return copies.map((m) => m.headers["Carehub-Receiver"] ?? "").sort();
}

/** The refused fact: rejected by the router with `code`, answered with a negative acknowledgement, sent nowhere. */
async function expectRefused(sent: { hubId?: string; messageId: string }, code: string): Promise<void> {
  const rejected = await waitForEvent(
    (e) =>
      e.type === "rejected" &&
      e.sourceEndpoint === STRANGER.id &&
      (sent.hubId === undefined ? e.messageId === sent.messageId : e.hubId === sent.hubId),
    `the rejection of ${sent.messageId}`,
  );
  expect(rejected).toMatchObject({ stage: "router", issues: [expect.objectContaining({ code })] });
  expect(await outboxReceiversOf(rejected.hubId)).toEqual([]);
  const answer = await h.waitFor(async () => answersTo(STRANGER.id, sent.messageId)[0], "the negative answer");
  expect(answer.content).toMatchObject({ kind: "acknowledgement", code: "fatal-error" });
  // Operators see it, with the reason.
  const record = await statusBecomes(rejected.hubId, "rejected");
  expect(record.rejection?.issues[0]).toMatchObject({ code, message: expect.stringContaining("only") });
}

/** The stranger gained no read access to the message: not by id, not in its receiver listing. */
async function expectNoAccess(hubId: string): Promise<void> {
  expect((await get(`/v1/messages/${hubId}`, STRANGER.id)).status).toBe(404);
  const listed = (await (await get(`/v1/messages?receiver=${STRANGER.id}`, STRANGER.id)).json()) as MessagePage;
  expect(listed.items.map((m) => m.hubId)).not.toContain(hubId);
  expect((await lifecycle(hubId))?.receivers).not.toContain(STRANGER.id);
}

beforeAll(async () => {
  h = await startHarness({
    endpoints: [
      ...defaultEndpoints(),
      {
        id: STRANGER.id,
        name: STRANGER.name,
        kind: "practice",
        identifiers: { sor: [STRANGER.sor], gln: [STRANGER.gln] },
        sends: ["homecare-observation", "acknowledgement"],
        accepts: ["acknowledgement"],
      },
    ],
  });
  observation = parse(HOMECARE);
  observationHubId = await send("acute-team", HOMECARE, "application/fhir+json");
  await statusBecomes(observationHubId, "delivered");
});

afterAll(async () => {
  await h?.close();
});

describe("who may acknowledge a message", () => {
  it("refuses a stranger's FHIR acknowledgement: answered, not relayed, no status change, no read access", async () => {
    const forged = fhirAck(observation, STRANGER_PARTY);
    const hubId = await send(STRANGER.id, forged.bytes, "application/fhir+json");
    await expectRefused({ hubId, messageId: forged.messageId }, ACK_REFUSED);
    expect(h.receiver("acute-team").deliveries.some((d) => d.hubId === hubId)).toBe(false);
    expect(events.some((e) => e.type === "acknowledged" && e.hubId === observationHubId)).toBe(false);
    expect((await lifecycle(observationHubId))?.status).toBe("delivered");
    await expectNoAccess(observationHubId);
  });

  it("refuses the same acknowledgement published by the stranger on its own NATS ingress subject", async () => {
    const forged = fhirAck(observation, STRANGER_PARTY);
    await h.hub.bus.publish(h.hub.bus.topology.subjects.ingress(STRANGER.id), forged.bytes, {
      msgId: `${STRANGER.id}:${forged.messageId}`,
      contentType: "application/fhir+json",
    });
    await expectRefused({ messageId: forged.messageId }, ACK_REFUSED);
    expect((await lifecycle(observationHubId))?.status).toBe("delivered");
    await expectNoAccess(observationHubId);
  });

  it("still relays the receiver's acknowledgement to the sender and marks the message acknowledged", async () => {
    const genuine = fhirAck(observation, observation.receivers[0] as Party);
    const hubId = await send("practice", genuine.bytes, "application/fhir+json");
    await h.receiver("acute-team").waitFor((d) => d.some((x) => x.hubId === hubId));
    const record = await statusBecomes(observationHubId, "acknowledged");
    expect(record.receivers).toEqual(["practice"]);
  });

  it("refuses a stranger's XCTL receipt for an OIOXML letter, and still takes the receiver's", async () => {
    const letter = parse(LAB_LETTER);
    const letterHubId = await send("lab", LAB_LETTER, "application/xml");
    await statusBecomes(letterHubId, "delivered");

    const forged = receipt(letter, STRANGER_PARTY);
    const hubId = await send(STRANGER.id, forged.bytes, "application/xml");
    await expectRefused({ hubId, messageId: forged.messageId }, ACK_REFUSED);
    expect(answersTo(STRANGER.id, forged.messageId)[0]?.standard).toBe("XCTL02");
    expect(h.receiver("lab").deliveries.some((d) => d.hubId === hubId)).toBe(false);
    expect((await lifecycle(letterHubId))?.status).toBe("delivered");
    await expectNoAccess(letterHubId);

    const genuine = receipt(letter, letter.receivers[0] as Party);
    const genuineHubId = await send("klamer", genuine.bytes, "application/xml");
    await h.receiver("lab").waitFor((d) => d.some((x) => x.hubId === genuineHubId));
    await statusBecomes(letterHubId, "acknowledged");
  });
});

describe("who may correct a message", () => {
  it("refuses a stranger's correction of a message the practice holds from the acute team; the sender's own goes", async () => {
    const messageHeaderId = randomUUID();
    const forged = buildHomeCareObservation({
      ids: { bundleId: randomUUID(), messageHeaderId },
      now: new Date().toISOString(),
      sender: { sor: STRANGER.sor, gln: STRANGER.gln, name: STRANGER.name },
      receiver: { sor: "52581000016005", gln: "5790000127092", name: "Skødstrup Lægepraksis", ydernummer: "061654" },
      link: { type: "modified", to: { messageId: observation.messageId } },
      patient: { identifier: { system: "cpr", value: "2509479989" }, family: "Elmer", given: ["Bruno"] },
      issued: new Date().toISOString(),
      consentGiven: true,
      observations: [
        {
          system: "urn:oid:1.2.208.176.2.1",
          code: "NPU08676",
          effective: new Date().toISOString(),
          value: { quantity: { value: 35.1, unit: "°C" } },
        },
      ],
      performer: { family: "Hansen", given: ["Anne"], role: "sygeplejerske", phone: "44556677" },
    });
    const hubId = await send(STRANGER.id, Buffer.from(forged.json), "application/fhir+json");
    await expectRefused({ hubId, messageId: messageHeaderId }, CORRECTION_REFUSED);
    expect(h.receiver("practice").deliveries.some((d) => d.hubId === hubId)).toBe(false);

    const correctionHubId = await send("acute-team", HOMECARE_CORRECTION, "application/fhir+json");
    await h.receiver("practice").waitFor((d) => d.some((x) => x.hubId === correctionHubId));
  });
});
