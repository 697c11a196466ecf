import type { Bus } from "@carehub/bus";
import { EndpointRegistry } from "@carehub/registry";
import type { Envelope, MessageContent } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, envelope, HUB } from "../test/fixtures.ts";
import {
  cleanupTestNamespace,
  connectTestBus,
  connectTestRedis,
  EventCollector,
  SubjectRecorder,
  testNamespace,
  waitFor,
} from "../test/support.ts";
import { type RunningRouter, startRouter } from "./start-router.ts";

/**
 * Chaos finding 2 (docs/reliability.md): a router killed while it holds an original gets it back only after the
 * consumer's ack wait, while the correction behind it is routed by the restarted router at once. An OIOXML
 * correction names no original, and the sample marker that would name it is written only when the original is
 * routed, so without the ack-floor wait the correction went out unordered, ahead of its original.
 */
const ns = testNamespace("router-order");
let bus: Bus;
let redis: Redis;
let events: EventCollector;
let outbox: SubjectRecorder;
let router: RunningRouter | undefined;

const registry = EndpointRegistry.from({
  hub: HUB,
  endpoints: Object.values(ENDPOINTS).map((endpoint, i) => ({
    ...endpoint,
    auth: { tokenSha256: [String(i + 1).padStart(64, "0")] },
  })),
});

const labSample = (corrected: boolean): MessageContent => ({
  kind: "lab-result",
  letterType: "XRPT01",
  consentGiven: null,
  corrected,
  sampleId: `${ns}-sample`,
  results: [],
});

let counter = 0;
async function ingest(overrides: Partial<Envelope>): Promise<Envelope> {
  counter += 1;
  const draft = envelope({ hubId: `${ns}-h${counter}`, messageId: `M${counter}`, ...overrides });
  const stored = await bus.publish(bus.topology.subjects.ingress(draft.sourceEndpoint), "<letter/>", {
    msgId: draft.hubId,
    contentType: draft.payload.contentType,
  });
  await redis.set(`${ns}:msgid:${draft.sourceEndpoint}:${draft.messageId}`, draft.hubId);
  return { ...draft, payload: { ...draft.payload, stream: stored.stream, seq: stored.seq, size: 9 } };
}

async function toPipeline(message: Envelope): Promise<void> {
  await bus.publish(bus.topology.subjects.pipeline(message.kind), JSON.stringify(message), {
    msgId: message.hubId,
    contentType: "application/json",
    headers: {
      "Carehub-Hub-Id": message.hubId,
      "Carehub-Kind": message.kind,
      "Carehub-Source-Endpoint": message.sourceEndpoint,
    },
  });
}

const outboxIndex = (hubId: string) => outbox.messages.findIndex((m) => m.headers["Carehub-Hub-Id"] === hubId);

beforeAll(async () => {
  bus = await connectTestBus(ns);
  redis = connectTestRedis();
  events = new EventCollector(bus);
  outbox = new SubjectRecorder(bus, bus.topology.subjects.all.outbox);
  // Creates the durable consumer, so that the test can take a message from it as a crashed router would have.
  await (await startRouter({ bus, redis, registry, retentionDays: 1 })).stop();
});

afterAll(async () => {
  events?.close();
  outbox?.close();
  await router?.stop();
  await cleanupTestNamespace(bus, redis, ns);
});

describe("a correction behind an original a crashed router still holds", () => {
  it("is routed only after the original, and ordered after it at the receiver (OIOXML, no link)", async () => {
    const original = await ingest({ content: labSample(false) });
    const correction = await ingest({ content: labSample(true) });
    await toPipeline(original);
    // A router took the original and died: nobody acks it, JetStream gives it back only after the ack wait.
    const consumer = await bus.js.consumers.get(bus.topology.streams.pipeline, "router");
    const held = await consumer.next({ expires: 5_000 });
    expect(held?.headers?.get("Carehub-Hub-Id")).toBe(original.hubId);
    await toPipeline(correction);

    router = await startRouter({ bus, redis, registry, retentionDays: 1 });
    // The restarted router has looked at the correction at least twice (it waits), or routed it (the bug).
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(bus.topology.streams.pipeline, "router");
      return outboxIndex(correction.hubId) >= 0 || info.num_redelivered > 0;
    }, "the correction looked at");
    expect(outboxIndex(correction.hubId)).toBe(-1);

    held?.nak(); // the original comes back (as after the ack wait)
    await waitFor(() => events.of("routed", correction.hubId)[0], "the correction routed");
    expect(outboxIndex(original.hubId)).toBeGreaterThanOrEqual(0);
    expect(outboxIndex(original.hubId)).toBeLessThan(outboxIndex(correction.hubId));
    const copy = outbox.messages[outboxIndex(correction.hubId)];
    expect(copy?.headers["Carehub-After"]).toBe(original.hubId);
  });
});
