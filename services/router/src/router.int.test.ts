import { createHash } from "node:crypto";
import { parseStoredAcknowledgement } from "@carehub/acknowledgements";
import { type Bus, HEADER } from "@carehub/bus";
import { metricValue } from "@carehub/observability";
import type { MessageContent } from "@carehub/schemas";
import { beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, HUB, LAB_DATABANK_RULE, labResult, partyOf, sampleResult } from "../test/fixtures.ts";
import { routerTestbed, type SeenMessage, sleep, waitFor } from "../test/support.ts";
import { routerKeys } from "./router-keys.ts";

const bed = routerTestbed("router", { rules: [LAB_DATABANK_RULE] });
const refBed = routerTestbed("routerref", { rules: [LAB_DATABANK_RULE] });
const { ns, ingest, toPipeline } = bed;

/** A recorded message's headers as the bus's readers take them. */
type Headers = Parameters<Bus["readPayload"]>[0]["headers"];
function headersOf(seen: SeenMessage): Headers {
  return { get: (name: string) => seen.headers[name] ?? "" } as unknown as Headers;
}

function copiesOf(hubId: string): SeenMessage[] {
  return bed.outbox.messages.filter((m) => m.headers["Carehub-Hub-Id"] === hubId);
}
const receiversOf = (hubId: string) => copiesOf(hubId).map((m) => m.headers["Carehub-Receiver"]);

async function routerIdle(): Promise<void> {
  await waitFor(async () => {
    const info = await bed.bus.jsm.consumers.info(bed.bus.topology.streams.pipeline, "router");
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, "the router to be idle");
}

const ackContent = (respondsTo: string, code: "ok" | "fatal-error" = "ok"): MessageContent => ({
  kind: "acknowledgement",
  code,
  respondsTo,
  issues: [],
});

beforeAll(async () => {
  await bed.router({ concurrency: 4 });
  await refBed.router({ concurrency: 4, config: { outboxByReference: true } });
});

describe("router", () => {
  it.each([
    { label: "inline (CAREHUB_OUTBOX_BY_REFERENCE off)", on: bed },
    { label: "by reference (CAREHUB_OUTBOX_BY_REFERENCE on)", on: refBed },
  ])(
    "sends a practice-produced lab result to its receiver and the databank, byte for byte, with the contract headers: $label",
    async ({ on }) => {
      const byReference = on === refBed;
      const ns = on.ns;
      // The fixtures' receivedAt (2025) is older than INGRESS keeps: by reference needs a message received now.
      const bytes = "<LaboratoryReport>exact bytes</LaboratoryReport>";
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const payload = { stream: "", seq: 0, contentType: "application/xml", sha256, size: 0 };
      const message = await on.ingest(
        byReference ? { receivedAt: new Date().toISOString(), payload } : { payload },
        bytes,
      );
      await on.toPipeline(message);
      const routed = await waitFor(() => on.events.of("routed", message.hubId)[0], "routed event");
      expect(routed).toMatchObject({
        receivers: ["practice-b", "databank"],
        ruleCopies: [{ endpoint: "databank", rule: "lab-databank" }],
        sourceEndpoint: "practice-a",
        messageId: message.messageId,
        ackRequested: true,
      });
      const copies = on.outbox.messages.filter((m) => m.headers["Carehub-Hub-Id"] === message.hubId);
      expect(copies.map((c) => c.subject).sort()).toEqual([`${ns}.outbox.databank`, `${ns}.outbox.practice-b`]);
      for (const copy of copies) {
        // Catches the reference path never taken (the setting ignored), or its copy read back as other bytes.
        expect(copy.headers[HEADER.payloadRef] !== undefined).toBe(byReference);
        const payload = await on.bus.readPayload(
          { data: copy.data, headers: headersOf(copy) },
          on.bus.topology.streams.outbox,
        );
        expect(new TextDecoder().decode(payload)).toBe("<LaboratoryReport>exact bytes</LaboratoryReport>");
        expect(copy.headers).toMatchObject({
          "Nats-Msg-Id": `${message.hubId}:${copy.headers["Carehub-Receiver"]}`,
          "Carehub-Source-Endpoint": "practice-a",
          "Carehub-Message-Id": message.messageId,
          "Carehub-Kind": "lab-result",
          "Content-Type": "application/xml",
        });
        expect(copy.headers["Carehub-After"]).toBeUndefined();
      }
      // Presence only (0082), under the pair's short key (0110); an older release's key is never written.
      expect(await on.redis.get(routerKeys(ns).received("practice-b", message.messageId))).toBe("1");
      expect(await on.redis.ttl(routerKeys(ns).received("practice-b", message.messageId))).toBeGreaterThan(0);
      expect(await on.redis.exists(routerKeys(ns).formerReceived("practice-b", message.messageId))).toBe(0);
      expect(await on.redis.exists(`${ns}:routed:${message.hubId}`)).toBe(0); // a field of the marker hash instead
      const markers = routerKeys(ns).markers(message.hubId);
      expect(await on.redis.ttl(markers)).toBeGreaterThan(0);
      expect(JSON.parse((await on.redis.hget(markers, "r")) ?? "null")).toEqual(["practice-b", "databank"]);
    },
  );

  it("rejects an unknown receiver with the exact reason and a FHIR negative acknowledgement to the sender", async () => {
    const rejections = { stage: "router", code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER" };
    const rejectedBefore = await metricValue("carehub_rejections_total", rejections);
    const message = await ingest({
      format: "fhir+json",
      kind: "care-communication",
      content: { kind: "care-communication", threadId: "t", category: "c" },
      receivers: [{ sor: "123456789012345" }],
      payload: { stream: "", seq: 0, contentType: "application/fhir+json", sha256: "a".repeat(64), size: 1 },
    });
    await toPipeline(message);
    const rejected = await waitFor(() => bed.events.of("rejected", message.hubId)[0], "rejected event");
    expect(rejected.stage).toBe("router");
    expect(rejected.issues).toEqual([
      {
        code: "CAREHUB_ERR_ROUTE_UNKNOWN_RECEIVER",
        path: "Bundle.entry[0].resource.destination[0].receiver",
        message: "no endpoint is registered for the receiver SOR 123456789012345",
        medcomCode: "MSG_Receiver_Identifier_UNKNOWN",
      },
    ]);
    const answer = await waitFor(
      () =>
        bed.outbox.messages.find(
          (m) => m.subject === `${ns}.outbox.practice-a` && m.headers["Carehub-Kind"] === "acknowledgement",
        ),
      "negative acknowledgement",
    );
    expect(answer.headers["Carehub-Source-Endpoint"]).toBe(HUB.id);
    const bundle = JSON.parse(new TextDecoder().decode(answer.data)) as {
      entry: Array<{ resource: { resourceType: string; response?: { identifier: string; code: string } } }>;
    };
    expect(bundle.entry[0]?.resource.response).toEqual({
      identifier: message.messageId,
      code: "fatal-error",
      details: expect.anything(),
    });
    expect(JSON.stringify(bundle)).toContain("MSG_Receiver_Identifier_UNKNOWN");
    const stored = parseStoredAcknowledgement(await bed.redis.get(`${ns}:ack:${message.hubId}`));
    expect(stored?.hubId).toBe(answer.headers["Carehub-Hub-Id"]);
    expect(Buffer.from(stored?.base64 ?? "", "base64").equals(Buffer.from(answer.data))).toBe(true);
    expect(copiesOf(message.hubId)).toHaveLength(0);
    // Counted right after the rejected event was stored: once, under its code.
    await waitFor(
      async () => (await metricValue("carehub_rejections_total", rejections)) > rejectedBefore,
      "the rejection to be counted",
    );
    expect(await metricValue("carehub_rejections_total", rejections)).toBe(rejectedBefore + 1);
  });

  it("answers an OIOXML letter whose receiver does not accept the kind with an XCTL02 receipt", async () => {
    const message = await ingest({ envelopeId: "ENV1", receivers: [partyOf(ENDPOINTS.hospital, "gln")] });
    await toPipeline(message);
    const rejected = await waitFor(() => bed.events.of("rejected", message.hubId)[0], "rejected event");
    expect(rejected.issues[0]?.code).toBe("CAREHUB_ERR_ROUTE_KIND_NOT_ACCEPTED");
    const answer = await waitFor(
      () =>
        bed.outbox.messages.find(
          (m) =>
            m.headers["Carehub-Kind"] === "acknowledgement" &&
            new TextDecoder("latin1").decode(m.data).includes(message.messageId),
        ),
      "negative receipt",
    );
    const text = new TextDecoder("latin1").decode(answer.data);
    expect(text).toContain("<NegativeReceipt>");
    expect(text).toContain("<RefuseCode>problem_med_modtagerID</RefuseCode>");
    expect(answer.subject).toBe(`${ns}.outbox.practice-a`);
  });

  it("never re-forwards a result the practice received to the databank; its own results still go", async () => {
    const fromLab = await ingest({ sourceEndpoint: "lab-x", receivers: [partyOf(ENDPOINTS.practiceA, "gln")] });
    await toPipeline(fromLab);
    await waitFor(() => bed.events.of("routed", fromLab.hubId)[0], "lab result routed");
    expect(receiversOf(fromLab.hubId)).toEqual(["practice-a"]);
    // One receiver: its loop marker, kept for the retention period like the others.
    expect(await bed.redis.ttl(routerKeys(ns).received("practice-a", fromLab.messageId))).toBeGreaterThan(0);

    const passedOn = await ingest({ messageId: fromLab.messageId });
    await toPipeline(passedOn);
    const routed = await waitFor(() => bed.events.of("routed", passedOn.hubId)[0], "passed-on result routed");
    expect(routed.receivers).toEqual(["practice-b"]);
    expect(routed.ruleCopies).toEqual([]);

    // The tracker starts no ack-overdue timer for a letter sent with minuspositivkvitt: the routed event says so.
    const minus = await ingest({ ackRequested: false });
    await toPipeline(minus);
    expect((await waitFor(() => bed.events.of("routed", minus.hubId)[0], "minus routed")).ackRequested).toBe(false);

    const forwarded = await ingest({ links: { forwards: { messageId: "someone-elses" } } });
    await toPipeline(forwarded);
    expect((await waitFor(() => bed.events.of("routed", forwarded.hubId)[0], "forward routed")).receivers).toEqual([
      "practice-b",
    ]);

    const withheld = await ingest({ content: labResult(false) });
    await toPipeline(withheld);
    expect((await waitFor(() => bed.events.of("routed", withheld.hubId)[0], "withheld routed")).receivers).toEqual([
      "practice-b",
    ]);
  });

  it("makes a correction wait for its original and follow it at every receiver", async () => {
    const original = await ingest({});
    const correction = await ingest({ links: { corrects: { messageId: original.messageId } } });
    await toPipeline(correction);
    await sleep(300);
    expect(copiesOf(correction.hubId)).toHaveLength(0);
    await toPipeline(original);
    await waitFor(() => bed.events.of("routed", correction.hubId)[0], "correction routed");
    const copies = copiesOf(correction.hubId);
    expect(copies.map((c) => c.headers["Carehub-Receiver"]).sort()).toEqual(["databank", "practice-b"]);
    for (const copy of copies) expect(copy.headers["Carehub-After"]).toBe(original.hubId);
    expect(bed.events.of("routed", correction.hubId)[0]?.links).toEqual({ corrects: original.messageId });
  });

  it("makes a corrected OIOXML lab result (no link, same sample) follow the sender's earlier result", async () => {
    const sample = (corrected: boolean) => sampleResult(`${ns}-sample`, corrected);
    const first = await ingest({ content: sample(false) });
    await toPipeline(first);
    await waitFor(() => bed.events.of("routed", first.hubId)[0], "first result routed");
    const correction = await ingest({ content: sample(true) });
    await toPipeline(correction);
    await waitFor(() => bed.events.of("routed", correction.hubId)[0], "correction routed");
    const copies = copiesOf(correction.hubId);
    expect(copies).toHaveLength(2);
    for (const copy of copies) expect(copy.headers["Carehub-After"]).toBe(first.hubId);
    expect(await bed.redis.get(`${ns}:labsample:practice-a:${ns}-sample`)).toBe(correction.hubId);
  });

  it("delivers a retraction of a message unknown to the hub without ordering", async () => {
    const retraction = await ingest({ links: { retracts: { messageId: "never-seen" } } });
    await toPipeline(retraction);
    await waitFor(() => bed.events.of("routed", retraction.hubId)[0], "retraction routed");
    expect(copiesOf(retraction.hubId).every((c) => c.headers["Carehub-After"] === undefined)).toBe(true);
  });

  // The upgrade window (0124): a message the previous release admitted has its first copy at `msgid:<id22>`, not in a
  // marker hash. Catches a router that matches an acknowledgement to the current layout alone (the original's
  // acknowledgement relayed but never matched: no `acknowledged`, no answer kept for its repeats).
  it.each([
    ["", false],
    [" (its first copy under the previous release's key)", true],
  ] as const)(
    "routes an acknowledgement back to the original sender and matches it to the original%s",
    async (_, previousRelease) => {
      const original = await ingest({});
      if (previousRelease) {
        const keys = routerKeys(ns);
        const copy = keys.firstCopy(original.sourceEndpoint, original.messageId);
        const record = await bed.redis.hget(copy, keys.firstCopyField);
        expect(await bed.redis.hdel(copy, keys.firstCopyField)).toBe(1);
        await bed.redis.set(keys.messageId(original.sourceEndpoint, original.messageId), record ?? "", "EX", 3600);
      }
      await toPipeline(original);
      await waitFor(() => bed.events.of("routed", original.hubId)[0], "original routed");
      const ack = await ingest(
        {
          sourceEndpoint: "practice-b",
          kind: "acknowledgement",
          content: ackContent(original.messageId),
          receivers: [partyOf(ENDPOINTS.practiceA, "gln")],
        },
        "<PositiveReceipt/>",
      );
      await toPipeline(ack);
      const acknowledged = await waitFor(() => bed.events.of("acknowledged", original.hubId)[0], "acknowledged event");
      expect(acknowledged).toMatchObject({
        endpoint: "practice-b",
        code: "ok",
        ackHubId: ack.hubId,
        sourceEndpoint: "practice-a",
      });
      expect(receiversOf(ack.hubId)).toEqual(["practice-a"]);
      const kept = await bed.redis.get(`${ns}:ackmsg:${original.hubId}`);
      const stored = parseStoredAcknowledgement(kept);
      expect(Buffer.from(stored?.base64 ?? "", "base64").toString()).toBe("<PositiveReceipt/>");
      // Catches: the relayed acknowledgement's own ids kept again (never read back: a repeat's answer is renewed
      // under ids of its own; 128 B a message for a FHIR acknowledgement, decision 0130), or its endpoint dropped
      // (a repeat's answer would then be sent as the hub's own).
      expect(Object.keys(JSON.parse(kept ?? "{}")).sort()).toEqual(["contentType", "d1", "sourceEndpoint"]);
      expect(stored?.sourceEndpoint).toBe("practice-b");
    },
  );

  it("refuses an acknowledgement from an endpoint the original never reached: answered, not relayed, not matched", async () => {
    const original = await ingest({});
    await toPipeline(original);
    await waitFor(() => bed.events.of("routed", original.hubId)[0], "original routed");
    const forged = await ingest({
      sourceEndpoint: "municipality-m",
      kind: "acknowledgement",
      content: ackContent(original.messageId, "fatal-error"),
      receivers: [partyOf(ENDPOINTS.practiceA, "gln")],
      envelopeId: "ENV-FORGED",
    });
    await toPipeline(forged);
    const rejected = await waitFor(() => bed.events.of("rejected", forged.hubId)[0], "rejected event");
    expect(rejected.issues.map((i) => i.code)).toEqual(["CAREHUB_ERR_ROUTE_ACK_NOT_A_RECEIVER"]);
    const answer = await waitFor(
      () => bed.outbox.messages.find((m) => m.subject === `${ns}.outbox.municipality-m`),
      "the negative receipt to the forger",
    );
    expect(new TextDecoder().decode(answer.data)).toContain("XCTL02");
    await routerIdle();
    expect(copiesOf(forged.hubId)).toHaveLength(0);
    expect(bed.events.of("acknowledged", original.hubId)).toHaveLength(0);
    expect(await bed.redis.get(`${ns}:ackmsg:${original.hubId}`)).toBeNull();
  });

  it("relays an acknowledgement of an unknown message without matching it", async () => {
    const ack = await ingest({
      sourceEndpoint: "practice-b",
      kind: "acknowledgement",
      content: ackContent("unknown-original"),
      receivers: [partyOf(ENDPOINTS.practiceA, "gln")],
    });
    await toPipeline(ack);
    await waitFor(() => bed.events.of("routed", ack.hubId)[0], "ack routed");
    expect(receiversOf(ack.hubId)).toEqual(["practice-a"]);
    expect(bed.events.of("acknowledged").filter((e) => e.ackHubId === ack.hubId)).toHaveLength(0);
  });

  it("tells the dispatcher a notification's expiry (Carehub-Expires), and nothing for one without", async () => {
    const expiresAt = "2030-01-01T12:00:00.000Z";
    const notification = (withExpiry: boolean) =>
      ingest({
        sourceEndpoint: "databank",
        receivers: [partyOf(ENDPOINTS.practiceA, "gln")],
        content: { kind: "notification", topic: "video-queue", ...(withExpiry ? { expiresAt } : {}) },
      });
    const expiring = await notification(true);
    const plain = await notification(false);
    await toPipeline(expiring);
    await toPipeline(plain);
    const copy = await waitFor(() => copiesOf(expiring.hubId)[0], "the expiring notification's copy");
    expect(copy.headers["Carehub-Expires"]).toBe(expiresAt);
    const other = await waitFor(() => copiesOf(plain.hubId)[0], "the other notification's copy");
    expect(other.headers["Carehub-Expires"]).toBeUndefined();
  });

  it("routes a message once however often it is redelivered (dedup ids on every publish)", async () => {
    const stored = async () => {
      const info = await bed.bus.jsm.streams.info(bed.bus.topology.streams.outbox, { subjects_filter: ">" });
      const subjects = info.state.subjects ?? {};
      return ["practice-b", "databank"].map((receiver) => subjects[`${ns}.outbox.${receiver}`] ?? 0);
    };
    await routerIdle();
    const before = await stored();
    const message = await ingest({});
    await toPipeline(message, `${message.hubId}:first`);
    await toPipeline(message, `${message.hubId}:again`);
    await waitFor(() => copiesOf(message.hubId).length === 4, "both PIPELINE copies routed");
    await routerIdle();
    // Routed twice (four publishes), stored once per receiver.
    expect(await stored()).toEqual(before.map((n) => n + 1));
  });

  it("dead-letters an envelope whose bytes are gone from INGRESS, with the reason", async () => {
    const message = await ingest({});
    await toPipeline({ ...message, payload: { ...message.payload, seq: 987_654 } });
    const dead = await waitFor(() => bed.events.of("dead-lettered", message.hubId)[0], "dead-lettered event");
    expect(dead).toMatchObject({ stage: "router", reason: { code: "CAREHUB_ERR_ROUTE_PAYLOAD_MISSING" } });
  });

  // The router takes envelopes of the current Carehub-Schema-Version without validating them again (intake built
  // them from the same schemas); anything else is still validated. Catches a decoder that trusts every envelope:
  // this one (a number where the schema wants the standard's name) would be routed like any other.
  it("still validates an envelope of an older schema version and dead-letters it when invalid", async () => {
    const message = await ingest({});
    await bed.bus.publish(
      bed.bus.topology.subjects.pipeline(message.kind),
      JSON.stringify({ ...message, standard: 42 }),
      {
        msgId: message.hubId,
        contentType: "application/json",
        headers: { "Carehub-Hub-Id": message.hubId, "Carehub-Kind": message.kind, "Carehub-Schema-Version": "0" },
      },
    );
    const dead = await waitFor(() => bed.events.of("dead-lettered", message.hubId)[0], "dead-lettered event");
    expect(dead).toMatchObject({ stage: "router", reason: { code: "CAREHUB_ERR_BUS_DECODE_FAILED" } });
    expect(copiesOf(message.hubId)).toEqual([]);
  });
});
