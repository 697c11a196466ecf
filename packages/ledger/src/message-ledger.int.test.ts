import { readFileSync } from "node:fs";
import { parseFhirMessage } from "@carehub/medcom-fhir";
import { cleanupNamespace, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageHubId } from "./derived-ids.ts";
import { findFirstCopy, MessageLedger } from "./message-ledger.ts";

const EXAMPLES = new URL("../../../test/fixtures/medcom/examples/", import.meta.url);
const fatal = readFileSync(new URL("fhir/acknowledgement/ig-bc9535ef-ed94-4060-a928-7baddec7ee71.json", EXAMPLES));
const STREAM = "T_INGRESS";
/** Past JetStream's 10-minute duplicate window: only the ledger can still know the first copy. */
const ELEVEN_MINUTES = 11 * 60_000;

describe("the message ledger against real Redis", () => {
  const namespace = testNamespace("ledger");
  let redis: Redis;
  let now = new Date("2026-03-01T10:00:00.000Z");
  let ledger: MessageLedger;

  beforeAll(() => {
    redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
    ledger = new MessageLedger({ redis, namespace, retentionDays: 90, hubEndpointId: "carehub", clock: () => now });
  });
  afterAll(async () => {
    await cleanupNamespace({ namespace, redis });
    await redis.quit();
  });

  const keepAcknowledgement = (hubId: string, bytes: Uint8Array) =>
    redis.set(
      ledger.keys.hubAcknowledgement(hubId),
      JSON.stringify({ contentType: "application/fhir+json", base64: Buffer.from(bytes).toString("base64") }),
    );

  it("derives one hub id per sender and message id, whatever the path; none from an unreadable message until stored", () => {
    const message = { endpoint: "lab", messageId: "m-1" };
    expect(ledger.hubIdOf(message)).toBe(messageHubId(namespace, "lab", "m-1"));
    expect(ledger.hubIdOf({ endpoint: "practice", messageId: "m-1" })).not.toBe(ledger.hubIdOf(message));
    expect(ledger.hubIdOf({ endpoint: "lab", messageId: undefined })).toBeUndefined();
    const at7 = ledger.hubIdOf({ endpoint: "lab", messageId: undefined }, { stream: STREAM, seq: 7 });
    expect(at7).not.toBe(ledger.hubIdOf({ endpoint: "lab", messageId: undefined }, { stream: STREAM, seq: 8 }));
  });

  // The ledger remembers the ids it derived lately (each stage derives one message's id twice). Catches a memory
  // keyed by too little (the message id alone: two senders' messages merged into one hub id, the second never
  // delivered), one that gives an id back after it was evicted for a different pair, or an id (or its key's short
  // form) from the wrong generation when the young one is retired (3,000 pairs: several generations, both orders).
  it("remembers derived hub ids per sender and message id, and derives them again once forgotten", () => {
    const fresh = new MessageLedger({ redis, namespace, retentionDays: 90, hubEndpointId: "carehub" });
    const pairs = Array.from({ length: 3_000 }, (_, i) => ({
      endpoint: `sender-${i % 3}`,
      // Each message id under several senders (1,500 ids, 3 senders, ids stepping once per three pairs).
      messageId: `m-${Math.floor(i / 3) % 500}`,
    }));
    const short = (hubId: string) => Buffer.from(hubId.replaceAll("-", ""), "hex").toString("base64url");
    for (const round of [1, 2])
      for (const pair of round === 1 ? pairs : pairs.toReversed()) {
        const hubId = messageHubId(namespace, pair.endpoint, pair.messageId);
        expect(fresh.hubIdOf(pair)).toBe(hubId);
        // The keys' 22-character form is remembered with the id (0117): it names the same pair's id.
        expect(fresh.keys.messageId(pair.endpoint, pair.messageId)).toBe(`${namespace}:msgid:${short(hubId)}`);
        expect(fresh.keys.received(pair.endpoint, pair.messageId)).toBe(`${namespace}:rcvd:${short(hubId)}`);
      }
    // One message id, two senders: two messages, two hub ids, whichever was derived first.
    const fromA = fresh.hubIdOf({ endpoint: "a", messageId: "m" });
    expect(fresh.hubIdOf({ endpoint: "b", messageId: "m" })).not.toBe(fromA);
    // A message id that ends the endpoint's part of another pair's: still two messages.
    expect(fresh.hubIdOf({ endpoint: "lab", messageId: "x\ny" })).toBe(messageHubId(namespace, "lab", "x\ny"));
    expect(fresh.hubIdOf({ endpoint: "lab\nx", messageId: "y" })).toBe(messageHubId(namespace, "lab\nx", "y"));
  });

  it("admits a new message, lets intake claim the same stored copy (and its redelivery), and knows it later", async () => {
    const message = { endpoint: "acute-team", messageId: "m-new", kind: "homecare-observation" };
    const hubId = messageHubId(namespace, "acute-team", "m-new");
    expect(await ledger.admit(message, "copy-1")).toEqual({ repeat: false, hubId });
    await ledger.recordAdmitted(message, hubId, 3);
    expect(await ledger.claim(message, { stream: STREAM, seq: 3 })).toEqual({ repeat: false, hubId });
    expect(await ledger.claim(message, { stream: STREAM, seq: 3 })).toMatchObject({ repeat: false });
    // Catches a ledger that forgets (or a key that expires) before the retention: months later it is a repeat.
    now = new Date(now.getTime() + 30 * 86_400_000);
    expect(await ledger.admit(message, "copy-2")).toMatchObject({
      repeat: true,
      first: { hubId, seq: 3 },
    });
    expect(await redis.ttl(ledger.keys.messageId("acute-team", "m-new"))).toBeGreaterThan(89 * 86_400);
  });

  it("recognises a repeat stored again on INGRESS past the duplicate window and answers it as the first copy was answered, under new ids", async () => {
    const message = { endpoint: "practice", messageId: "m-rejected", kind: "care-communication" };
    const first = await ledger.claim(message, { stream: STREAM, seq: 10 });
    expect(first.repeat).toBe(false);
    await keepAcknowledgement(first.repeat ? "" : first.hubId, fatal);

    now = new Date(now.getTime() + ELEVEN_MINUTES);
    const repeat = await ledger.claim(message, { stream: STREAM, seq: 11 });
    if (!repeat.repeat || repeat.answer === undefined)
      throw new Error(`expected an answered repeat: ${JSON.stringify(repeat)}`);
    const answer = parseFhirMessage(Buffer.from(repeat.answer.base64, "base64"), { format: "fhir+json" });
    const original = parseFhirMessage(fatal, { format: "fhir+json" });
    if (!answer.ok || !original.ok) throw new Error("unreadable acknowledgement");
    expect(answer.message.content).toEqual(original.message.content); // fatal stays fatal, same issues and identifier
    expect(answer.message.envelopeId).not.toBe(original.message.envelopeId);
    expect(answer.message.messageId).toBe(repeat.answer.hubId);
    expect(answer.message.sentAt).toBe(now.toISOString());
    expect(repeat.answer.sourceEndpoint).toBe("carehub");

    // Each repeat gets an answer of its own; the same copy redelivered gets the same one (its publish dedups).
    const again = await ledger.claim(message, { stream: STREAM, seq: 12 });
    const redelivered = await ledger.claim(message, { stream: STREAM, seq: 11 });
    expect(again.repeat && again.answer?.hubId).not.toBe(repeat.answer.hubId);
    expect(redelivered.repeat && redelivered.answer?.hubId).toBe(repeat.answer.hubId);
  });

  it("prefers the receiver's acknowledgement, as relayed, to the hub's own", async () => {
    const message = { endpoint: "practice", messageId: "m-acked" };
    const hubId = ledger.hubIdOf(message) ?? "";
    await keepAcknowledgement(hubId, Buffer.from("{}"));
    await redis.set(
      ledger.keys.relayedAcknowledgement(hubId),
      JSON.stringify({
        contentType: "application/fhir+json",
        base64: fatal.toString("base64"),
        sourceEndpoint: "hospital",
      }),
    );
    await ledger.recordAdmitted(message, hubId, 20);
    const repeat = await ledger.admit(message, "copy-2");
    expect(repeat.repeat && repeat.answer?.sourceEndpoint).toBe("hospital");
  });

  it("never answers a repeated acknowledgement (MedCom KR2), even when an answer is kept under its id", async () => {
    const message = { endpoint: "hospital", messageId: "ack-1", kind: "acknowledgement" };
    const hubId = ledger.hubIdOf(message) ?? "";
    await keepAcknowledgement(hubId, fatal);
    await ledger.recordAdmitted(message, hubId, 30);
    expect(await ledger.admit(message, "copy-2")).toMatchObject({ repeat: true, answer: undefined });
    expect(await ledger.claim(message, { stream: STREAM, seq: 31 })).toMatchObject({ repeat: true, answer: undefined });
  });

  it("reads a record an older hub wrote (the bare hub id, under the former key) as the first copy", async () => {
    const message = { endpoint: "lab", messageId: "m-old" };
    await redis.set(ledger.keys.formerMessageId("lab", "m-old"), "0190f3a2-7c1e-7000-8000-000000000001");
    expect(await ledger.claim(message, { stream: STREAM, seq: 40 })).toMatchObject({
      repeat: true,
      first: { hubId: "0190f3a2-7c1e-7000-8000-000000000001" },
    });
  });

  // Decision 0110: a first copy is kept under the pair's derived hub id in 22 characters. Catches the key going
  // back to the endpoint and the sender's id (120 B with these ids: the bound fails) and a write to the former key.
  it("keeps a first copy under the short key only, under 96 B with a long endpoint id and a UUID message id", async () => {
    const message = { endpoint: "hospital-aarhus-uh", messageId: "5f0c2d9e-3b8a-4c1d-9e7f-2a6b8c4d1e0f" };
    const hubId = ledger.hubIdOf(message) ?? "";
    await ledger.recordAdmitted(message, hubId, 60);
    const key = ledger.keys.messageId(message.endpoint, message.messageId);
    expect(key).toBe(`${namespace}:msgid:${Buffer.from(hubId.replaceAll("-", ""), "hex").toString("base64url")}`);
    expect(await redis.get(key)).toBe("60");
    expect(await redis.exists(ledger.keys.formerMessageId(message.endpoint, message.messageId))).toBe(0);
    expect(Number(await redis.memory("USAGE", key))).toBeLessThanOrEqual(96);
    // Two pairs whose parts concatenate alike still name two keys.
    expect(ledger.keys.messageId("a", "bc")).not.toBe(ledger.keys.messageId("ab", "c"));
  });

  // A hub upgraded with first copies under the former key (0110): a repeat of such a message must still be one —
  // at the gateway and at intake, whose SET NX on the new key alone would succeed and deliver the copy again.
  it("takes a message whose first copy an older release kept under the former key for a repeat, at admission and claim", async () => {
    const message = { endpoint: "practice", messageId: "m-before-upgrade", kind: "letter" };
    const hubId = ledger.hubIdOf(message) ?? "";
    await redis.set(ledger.keys.formerMessageId(message.endpoint, message.messageId), "70", "EX", 3600);
    expect(await ledger.admit(message, "copy-2")).toMatchObject({ repeat: true, first: { hubId, seq: 70 } });
    // Another INGRESS copy of it: a repeat, although the new key was free.
    expect(await ledger.claim(message, { stream: STREAM, seq: 71 })).toMatchObject({
      repeat: true,
      first: { seq: 70 },
    });
    // The same copy redelivered to intake: its first copy, not a repeat of itself.
    expect(await ledger.claim(message, { stream: STREAM, seq: 70 })).toEqual({ repeat: false, hubId });
  });

  // The console's look-up by message id and its payload view (0110). Catches a look-up of the new key alone (a
  // message sent before the upgrade not found by its id; its payload not shown) or the new key read first.
  it("finds a first copy under the former key, the new one, and the former first when both are there", async () => {
    const find = (messageId: string) => findFirstCopy(redis, ledger.keys, "lab", messageId);
    expect(await find("f-none")).toBeUndefined();
    await redis.set(ledger.keys.formerMessageId("lab", "f-old"), "80", "EX", 3600);
    expect(await find("f-old")).toEqual({ hubId: ledger.hubIdOf({ endpoint: "lab", messageId: "f-old" }), seq: 80 });
    const newMessage = { endpoint: "lab", messageId: "f-new" };
    await ledger.recordAdmitted(newMessage, ledger.hubIdOf(newMessage) ?? "", 81);
    expect(await find("f-new")).toEqual({ hubId: ledger.hubIdOf(newMessage), seq: 81 });
    await redis.set(ledger.keys.messageId("lab", "f-old"), "82", "EX", 3600);
    expect((await find("f-old"))?.seq).toBe(80);
  });
});
