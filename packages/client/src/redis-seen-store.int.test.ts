import { randomUUID } from "node:crypto";
import type { MessageContent, ParsedMessage, ParseResult } from "@carehub/schemas";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SendResult } from "./hub-client.ts";
import { type AcknowledgementInput, createReceiver, type Delivery } from "./receiver.ts";
import { createRedisSeenStore } from "./redis-seen-store.ts";
import { seenKey } from "./seen-store.ts";

// Against the real Redis: a receiver that restarts (a new process, here a new receiver over a new client)
// still drops a copy of a message it handled before, and answers it with the same acknowledgement id.
const prefix = `test-seen-${randomUUID()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(sharedRedisUrl());
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const lab = { sor: "223456789012", gln: "5790000000029" };
const gp = { sor: "123456789012", gln: "5790000000012" };

function delivery(messageId: string): Delivery {
  const content: MessageContent = { kind: "care-communication", threadId: "t-1", category: "nursing" };
  const message: ParsedMessage = {
    kind: "care-communication",
    format: "fhir+json",
    standard: "CareCommunication",
    messageId,
    envelopeId: `envelope-${randomUUID()}`,
    sender: lab,
    receivers: [gp],
    links: {},
    ackRequested: true,
    content,
  };
  const result: ParseResult = { ok: true, message, warnings: [] };
  return { body: new TextEncoder().encode(JSON.stringify(result)), contentType: "application/fhir+json" };
}

/** One run of the receiving system: its own Redis connection, receiver and records of what it did. */
function startSystem() {
  const connection = new Redis(sharedRedisUrl());
  const handled: string[] = [];
  const acks: AcknowledgementInput[] = [];
  const receiver = createReceiver({
    client: {
      async send(body): Promise<SendResult> {
        return { id: randomUUID(), messageId: String(body), status: "received", duplicate: false };
      },
    },
    parse: (body) => JSON.parse(new TextDecoder().decode(body)) as ParseResult,
    buildAcknowledgement: (input) => {
      acks.push(input);
      return { body: input.ackMessageId, contentType: "application/fhir+json" };
    },
    onMessage: (received) => {
      handled.push(received.message.messageId);
    },
    seenStore: createRedisSeenStore({ redis: connection, prefix, ttlSeconds: 600 }),
  });
  return { receiver, handled, acks, stop: () => connection.quit() };
}

describe("Redis seen-store", () => {
  it("remembers across a restart: the copy is dropped and gets the first acknowledgement again", async () => {
    const messageId = `m-${randomUUID()}`;
    const first = startSystem();
    await expect(first.receiver.receive(delivery(messageId))).resolves.toMatchObject({ outcome: "accepted" });
    await first.stop();

    const restarted = startSystem();
    await expect(restarted.receiver.receive(delivery(messageId))).resolves.toMatchObject({ outcome: "duplicate" });
    await restarted.stop();
    expect(first.handled).toEqual([messageId]);
    expect(restarted.handled).toEqual([]);
    expect(restarted.acks[0]?.ackMessageId).toBe(first.acks[0]?.ackMessageId);
  });

  it("keeps each record under the prefix with the TTL, keyed by sender and message id only", async () => {
    const messageId = `m-${randomUUID()}`;
    const system = startSystem();
    await system.receiver.receive(delivery(messageId));
    await system.stop();
    const keys = await redis.keys(`${prefix}:*${messageId}`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(messageId);
    const ttl = await redis.ttl(keys[0] ?? "");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it("refuses a TTL that is not whole seconds", () => {
    expect(() => createRedisSeenStore({ redis, ttlSeconds: 0 })).toThrow(RangeError);
    expect(seenKey("a", "bc")).not.toBe(seenKey("ab", "c"));
  });
});
