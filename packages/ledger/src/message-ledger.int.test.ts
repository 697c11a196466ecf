import { readFileSync } from "node:fs";
import { parseFhirMessage } from "@carehub/medcom-fhir";
import { cleanupNamespace, sharedRedisUrl, testNamespace } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageHubId } from "./derived-ids.ts";
import { findFirstCopy, ingressCopy, MessageLedger } from "./message-ledger.ts";

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
    // Catches the first copy's hash left without an expiry (kept for ever) or with a shorter one (0124).
    expect(await redis.ttl(ledger.keys.firstCopy("acute-team", "m-new"))).toBeGreaterThan(89 * 86_400);
  });

  // The gateway's record sends the first-copy script the hash alone (0124) and must still set the field once: intake
  // may have claimed a copy first (the gateway's record comes after INGRESS's ack, a second copy's claim can come
  // before it). Catches a one-key path that writes without reading the field: the first copy moved to the later
  // position, that copy delivered and the first one's claim, redelivered, taken for a repeat of it.
  it("keeps the first position when the gateway's record comes after, or races, intake's claim of another copy", async () => {
    const message = { endpoint: "lab", messageId: "m-record-after-claim", kind: "letter" };
    const hubId = ledger.hubIdOf(message) ?? "";
    const field = () =>
      redis.hget(ledger.keys.firstCopy(message.endpoint, message.messageId), ledger.keys.firstCopyField);
    expect(await ledger.claim(message, { stream: STREAM, seq: 5 })).toEqual({ repeat: false, hubId });
    await ledger.recordAdmitted(message, hubId, 4);
    expect(await field()).toBe("5");
    expect(await ledger.claim(message, { stream: STREAM, seq: 4 })).toMatchObject({
      repeat: true,
      first: { hubId, seq: 5 },
    });

    const racing = { endpoint: "lab", messageId: "m-record-races-claim", kind: "letter" };
    const racingHubId = ledger.hubIdOf(racing) ?? "";
    const [, claimed] = await Promise.all([
      ledger.recordAdmitted(racing, racingHubId, 4),
      ledger.claim(racing, { stream: STREAM, seq: 5 }),
    ]);
    const kept = await redis.hget(ledger.keys.firstCopy(racing.endpoint, racing.messageId), ledger.keys.firstCopyField);
    expect(["4", "5"]).toContain(kept);
    // The claim that lost is told the record's position; the claim that won is the first copy.
    expect(claimed).toEqual(
      kept === "4"
        ? expect.objectContaining({ repeat: true, first: { hubId: racingHubId, seq: 4 } })
        : { repeat: false, hubId: racingHubId },
    );
  });

  // Catches: a kept acknowledgement that cannot be read (a dictionary mismatch, a record past the size ceiling)
  // leaving every repeat of its message unanswered with no signal; a warning on every repeat (one per key is
  // enough), a warning for a message that simply has none kept yet, or the record's content in the log line.
  it("warns once per key of a kept acknowledgement it cannot read, without its content", async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
    const watched = new MessageLedger({ redis, namespace, retentionDays: 90, hubEndpointId: "carehub", logger });
    const message = { endpoint: "practice", messageId: "m-unreadable-ack", kind: "care-communication" };
    const first = await watched.claim(message, { stream: STREAM, seq: 20 });
    if (first.repeat) throw new Error("expected a first copy");
    // A repeat's answer is read in its turn (repeatAnswer, 0129), not with its claim.
    const answerOf = async (seq: number) => {
      const claim = await watched.claim(message, { stream: STREAM, seq });
      if (!claim.repeat) throw new Error("expected a repeat");
      return watched.repeatAnswer(claim.first.hubId, message.kind, claim.copy);
    };
    expect(await answerOf(21)).toBeUndefined();
    expect(warnings).toEqual([]);

    const unreadable = JSON.stringify({ contentType: "application/fhir+json", d1: "bm90IGRlZmxhdGVkIENQUg==" });
    await redis.set(watched.keys.relayedAcknowledgement(first.hubId), unreadable);
    for (const seq of [22, 23]) expect(await answerOf(seq)).toBeUndefined();
    expect(warnings).toEqual([
      {
        fields: { hubId: first.hubId, key: watched.keys.relayedAcknowledgement(first.hubId), chars: unreadable.length },
        message: expect.stringContaining("kept acknowledgement unreadable"),
      },
    ]);
  });

  it("recognises a repeat stored again on INGRESS past the duplicate window and answers it as the first copy was answered, under new ids", async () => {
    const message = { endpoint: "practice", messageId: "m-rejected", kind: "care-communication" };
    const first = await ledger.claim(message, { stream: STREAM, seq: 10 });
    expect(first.repeat).toBe(false);
    await keepAcknowledgement(first.repeat ? "" : first.hubId, fatal);

    now = new Date(now.getTime() + ELEVEN_MINUTES);
    const claim = await ledger.claim(message, { stream: STREAM, seq: 11 });
    if (!claim.repeat) throw new Error(`expected a repeat: ${JSON.stringify(claim)}`);
    expect(claim.copy).toBe(ingressCopy({ stream: STREAM, seq: 11 }));
    const repeat = { answer: await ledger.repeatAnswer(claim.first.hubId, message.kind, claim.copy) };
    if (repeat.answer === undefined) throw new Error("expected an answer");
    const answer = parseFhirMessage(Buffer.from(repeat.answer.base64, "base64"), { format: "fhir+json" });
    const original = parseFhirMessage(fatal, { format: "fhir+json" });
    if (!answer.ok || !original.ok) throw new Error("unreadable acknowledgement");
    expect(answer.message.content).toEqual(original.message.content); // fatal stays fatal, same issues and identifier
    expect(answer.message.envelopeId).not.toBe(original.message.envelopeId);
    expect(answer.message.messageId).toBe(repeat.answer.hubId);
    expect(answer.message.sentAt).toBe(now.toISOString());
    expect(repeat.answer.sourceEndpoint).toBe("carehub");

    // Each repeat gets an answer of its own; the same copy redelivered gets the same one (its publish dedups).
    const answerOf = async (seq: number) => {
      const again = await ledger.claim(message, { stream: STREAM, seq });
      if (!again.repeat) throw new Error(`expected a repeat at ${seq}`);
      return (await ledger.repeatAnswer(again.first.hubId, message.kind, again.copy))?.hubId;
    };
    expect(await answerOf(12)).not.toBe(repeat.answer.hubId);
    expect(await answerOf(11)).toBe(repeat.answer.hubId);
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
    const claim = await ledger.claim(message, { stream: STREAM, seq: 31 });
    if (!claim.repeat) throw new Error("expected a repeat");
    expect(await ledger.repeatAnswer(claim.first.hubId, message.kind, claim.copy)).toBeUndefined();
  });

  it("reads a record an older hub wrote (the bare hub id, under the former key) as the first copy", async () => {
    const message = { endpoint: "lab", messageId: "m-old" };
    await redis.set(ledger.keys.formerMessageId("lab", "m-old"), "0190f3a2-7c1e-7000-8000-000000000001");
    expect(await ledger.claim(message, { stream: STREAM, seq: 40 })).toMatchObject({
      repeat: true,
      first: { hubId: "0190f3a2-7c1e-7000-8000-000000000001" },
    });
  });

  // Decision 0124: a first copy is a field of the message's own marker hash, named by the pair's derived hub id in
  // 22 characters (0110, 0119), not a key of its own. Catches a write to either older key (a key more per message:
  // 88 B) and the field in a hash other than the one the router and dispatcher write (the derived hub id's).
  it("keeps a first copy in the message's marker hash only, with a long endpoint id and a UUID message id", async () => {
    const message = { endpoint: "hospital-aarhus-uh", messageId: "5f0c2d9e-3b8a-4c1d-9e7f-2a6b8c4d1e0f" };
    const hubId = ledger.hubIdOf(message) ?? "";
    await ledger.recordAdmitted(message, hubId, 60);
    const key = ledger.keys.firstCopy(message.endpoint, message.messageId);
    expect(key).toBe(ledger.keys.markers(hubId));
    expect(key).toBe(`${namespace}:mk:${Buffer.from(hubId.replaceAll("-", ""), "hex").toString("base64url")}`);
    expect(await redis.hgetall(key)).toEqual({ [ledger.keys.firstCopyField]: "60" });
    expect(await redis.exists(ledger.keys.messageId(message.endpoint, message.messageId))).toBe(0);
    expect(await redis.exists(ledger.keys.formerMessageId(message.endpoint, message.messageId))).toBe(0);
    // Two pairs whose parts concatenate alike still name two hashes.
    expect(ledger.keys.firstCopy("a", "bc")).not.toBe(ledger.keys.firstCopy("ab", "c"));
  });

  // The upgrade windows: a message an older release admitted has its first copy at `msgid:<endpoint>:<id>` (0110),
  // one the previous release admitted at `msgid:<id22>` (0124), and nothing in the marker hash. Catches a ledger
  // that reads the new place alone — a repeat of such a message taken for a new one at the gateway and at intake,
  // whose write to the new place alone would succeed: delivered twice — and a claim that writes a second first copy.
  it.each([
    ["an older release kept under `msgid:<endpoint>:<id>`", "m-before-0110", 70],
    ["the previous release kept under `msgid:<id22>`", "m-before-0124", 90],
  ] as const)("takes a copy of a message whose first copy %s for a repeat", async (_, messageId, seq) => {
    const message = { endpoint: "practice", messageId, kind: "letter" };
    const hubId = ledger.hubIdOf(message) ?? "";
    const older = seq === 70 ? ledger.keys.formerMessageId : ledger.keys.messageId;
    await redis.set(older(message.endpoint, message.messageId), String(seq), "EX", 3600);
    expect(await ledger.admit(message, "copy-2")).toMatchObject({ repeat: true, first: { hubId, seq } });
    // Another INGRESS copy of it: a repeat, although the new place was free.
    expect(await ledger.claim(message, { stream: STREAM, seq: seq + 1 })).toMatchObject({
      repeat: true,
      first: { seq },
    });
    // The same copy redelivered to intake: its first copy, not a repeat of itself.
    expect(await ledger.claim(message, { stream: STREAM, seq })).toEqual({ repeat: false, hubId });
    // Nothing written for it (the gateway records only what `admit` found new).
    expect(await redis.exists(ledger.keys.firstCopy(message.endpoint, message.messageId))).toBe(0);
    expect(await findFirstCopy(redis, ledger.keys, message.endpoint, message.messageId)).toEqual({ hubId, seq });
  });

  // A first copy lives at least the retention from its own write (0124). A hash that already has an expiry — the
  // router's or dispatcher's from a later write, or one left by an earlier delivery of the same id (the previous
  // release's, or a copy past the retention) that nothing will extend now if intake rejects this one — gets the
  // longer of the two: never shortened. Catches `EXPIRE … NX` alone (the field dies with the old hash's remaining
  // 1,000 s: a retry of a rejected message processed again), a plain EXPIRE (the router's longer expiry cut back),
  // and the expiry left out (a hash kept for ever).
  it("gives a marker hash the retention from the first copy's write, unless it has a longer expiry", async () => {
    const retention = 90 * 86_400;
    const shortLived = { endpoint: "lab", messageId: "m-short-lived" };
    const markers = ledger.keys.firstCopy(shortLived.endpoint, shortLived.messageId);
    await redis.hset(markers, ledger.keys.routedField, '["practice"]');
    await redis.expire(markers, 1_000);
    await ledger.recordAdmitted(shortLived, ledger.hubIdOf(shortLived) ?? "", 100);
    expect(await redis.hget(markers, ledger.keys.firstCopyField)).toBe("100");
    expect(await redis.ttl(markers)).toBeGreaterThan(retention - 60);
    const longLived = { endpoint: "lab", messageId: "m-long-lived" };
    const longer = ledger.keys.firstCopy(longLived.endpoint, longLived.messageId);
    await redis.hset(longer, ledger.keys.routedField, '["practice"]');
    await redis.expire(longer, retention + 10_000);
    await ledger.claim(longLived, { stream: STREAM, seq: 102 });
    expect(await redis.ttl(longer)).toBeGreaterThan(retention + 9_000);
    const fresh = { endpoint: "lab", messageId: "m-fresh" };
    await ledger.claim(fresh, { stream: STREAM, seq: 101 });
    const ttl = await redis.ttl(ledger.keys.firstCopy(fresh.endpoint, fresh.messageId));
    expect(ttl).toBeGreaterThan(retention - 60);
    expect(ttl).toBeLessThanOrEqual(retention);
  });

  // The console's look-up by message id and its payload view (0110, 0124). Catches a look-up of the new place alone
  // (a message sent before an upgrade not found by its id; its payload not shown) or the new place read first.
  it("finds a first copy under either former key, in the marker hash, and the former first when both are there", async () => {
    const find = (messageId: string) => findFirstCopy(redis, ledger.keys, "lab", messageId);
    expect(await find("f-none")).toBeUndefined();
    await redis.set(ledger.keys.formerMessageId("lab", "f-old"), "80", "EX", 3600);
    expect(await find("f-old")).toEqual({ hubId: ledger.hubIdOf({ endpoint: "lab", messageId: "f-old" }), seq: 80 });
    const newMessage = { endpoint: "lab", messageId: "f-new" };
    await ledger.recordAdmitted(newMessage, ledger.hubIdOf(newMessage) ?? "", 81);
    expect(await find("f-new")).toEqual({ hubId: ledger.hubIdOf(newMessage), seq: 81 });
    await redis.set(ledger.keys.messageId("lab", "f-old"), "82", "EX", 3600);
    expect((await find("f-old"))?.seq).toBe(80);
    await redis.set(ledger.keys.messageId("lab", "f-previous"), "83", "EX", 3600);
    expect((await find("f-previous"))?.seq).toBe(83);
    await redis.hset(ledger.keys.firstCopy("lab", "f-previous"), ledger.keys.firstCopyField, "84");
    expect((await find("f-previous"))?.seq).toBe(83);
  });
});
