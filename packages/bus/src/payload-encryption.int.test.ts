import type { PayloadKeyring } from "@carehub/schemas";
import { cleanupNamespace, sharedNatsUrl, testNamespace } from "@carehub/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { text, waitFor } from "../test/helpers.ts";
import { type Bus, connectBus, HEADER, type InboundMessage } from "./index.ts";

/**
 * Payload encryption at rest against a real NATS server: what a raw stream read shows, key rotation, and a
 * message whose key was removed (issue 16, item 7; docs/operations.md "Rotate the payload key").
 */

const CPR = "0101012345";
const key = (fill: number): string => Buffer.alloc(32, fill).toString("base64");
const K1 = { id: "k1", base64: key(1) };
const K2 = { id: "k2", base64: key(2) };

const namespace = testNamespace("sealed");
const buses: Bus[] = [];
let plain: Bus;

async function busWith(payloadKeys: PayloadKeyring): Promise<Bus> {
  const bus = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace, payloadKeys });
  buses.push(bus);
  return bus;
}

function message(label: string): string {
  return JSON.stringify({ label, patient: { cpr: CPR }, note: "blodtryk 120/80" });
}

/** The message as JetStream stores it, read past the bus. */
async function raw(bus: Bus, seq: number) {
  const stored = await bus.jsm.streams.getMessage(bus.topology.streams.ingress, { seq });
  if (stored === null) throw new Error(`no message #${seq}`);
  return { data: Buffer.from(stored.data), keyId: stored.header?.get(HEADER.payloadKey) ?? "" };
}

/** Every message of `subject` a fresh consumer of `bus` hands its handler, as text. */
async function consumeAll(bus: Bus, durable: string, subject: string, expected: number): Promise<string[]> {
  const seen: string[] = [];
  const running = await bus.consume({
    stream: bus.topology.streams.ingress,
    durable,
    filterSubject: subject,
    stage: durable,
    handler: async (m: InboundMessage) => {
      seen.push(text(m.data));
    },
  });
  try {
    await waitFor(`${expected} messages on ${subject}`, () => seen.length >= expected);
  } finally {
    await running.stop();
  }
  return seen;
}

beforeAll(async () => {
  plain = await connectBus({ servers: sharedNatsUrl(), name: `test-${namespace}`, namespace });
  buses.push(plain);
  await plain.provision();
});

afterAll(async () => {
  await cleanupNamespace({ namespace, bus: plain });
  await Promise.allSettled(buses.map((b) => b.drain()));
});

describe("payloads sealed at rest", () => {
  it("stores an INGRESS payload sealed (no CPR in a raw read) and the bus reads it back as sent", async () => {
    const bus = await busWith([K1]);
    const sent = await bus.publish(bus.topology.subjects.ingress("gp-a"), message("a"), { msgId: "a-1" });

    const stored = await raw(bus, sent.seq);
    expect(stored.keyId).toBe("k1");
    expect(stored.data.includes(CPR)).toBe(false);
    expect(stored.data.includes("blodtryk")).toBe(false);

    const read = await bus.getMessage(bus.topology.streams.ingress, sent.seq);
    expect(read && text(read.data)).toBe(message("a"));
    expect(read?.headers[HEADER.payloadKey]).toBeUndefined();
    expect(await consumeAll(bus, "sealed-a", bus.topology.subjects.ingress("gp-a"), 1)).toEqual([message("a")]);
  });

  it("rotates: new messages are sealed with the newest key, those sealed with the old one still read", async () => {
    const first = await busWith([K1]);
    const subject = first.topology.subjects.ingress("gp-b");
    const before = await first.publish(subject, message("old"), { msgId: "b-1" });
    const rotated = await busWith([K2, K1]);
    const after = await rotated.publish(subject, message("new"), { msgId: "b-2" });

    expect((await raw(rotated, before.seq)).keyId).toBe("k1");
    expect((await raw(rotated, after.seq)).keyId).toBe("k2");
    expect(await consumeAll(rotated, "sealed-b", subject, 2)).toEqual([message("old"), message("new")]);
  });

  it("dead-letters a message whose key was removed (CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN), still sealed; with the key back a redrive delivers it", async () => {
    const old = await busWith([K1]);
    const subject = old.topology.subjects.ingress("gp-c");
    const sealed = await old.publish(subject, message("orphan"), { msgId: "c-1" });
    const withoutOld = await busWith([K2]);
    await withoutOld.publish(subject, message("current"), { msgId: "c-2" });

    const handled = await consumeAll(withoutOld, "sealed-c", subject, 1);
    expect(handled).toEqual([message("current")]);

    // The orphan comes first on the subject: by the time "current" was handled it was dead-lettered.
    const letter = await withoutOld.jsm.streams.getMessage(withoutOld.topology.streams.dlq, {
      last_by_subj: withoutOld.topology.subjects.dlq("sealed-c"),
    });
    expect(letter?.header?.get(HEADER.errorCode)).toBe("CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN");
    expect(letter?.header?.get(HEADER.payloadKey)).toBe("k1");
    // Stored exactly as it was: sealed once, with the key that sealed it.
    expect(Buffer.from(letter?.data ?? []).equals((await raw(old, sealed.seq)).data)).toBe(true);

    const restored = await busWith([K2, K1]);
    expect(await restored.redrive("sealed-c")).toEqual({ redriven: 1 });
    const last = (await restored.jsm.streams.info(restored.topology.streams.ingress)).state.last_seq;
    const redriven = await restored.getMessage(restored.topology.streams.ingress, last);
    expect(redriven && text(redriven.data)).toBe(message("orphan"));
  });

  it("refuses to read a sealed payload without a keyring (CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN), never passing it on", async () => {
    const bus = await busWith([K1]);
    const sent = await bus.publish(bus.topology.subjects.ingress("gp-d"), message("d"), { msgId: "d-1" });
    await expect(plain.getMessage(plain.topology.streams.ingress, sent.seq)).rejects.toMatchObject({
      code: "CAREHUB_ERR_BUS_PAYLOAD_KEY_UNKNOWN",
      retryable: false,
    });
  });

  it("leaves EVENTS as published: events carry no patient identifier, and other readers consume them", async () => {
    const bus = await busWith([K1]);
    const sent = await bus.publishJson(
      bus.topology.subjects.events("received"),
      { type: "received" },
      { msgId: "e-1" },
    );
    const stored = await bus.jsm.streams.getMessage(bus.topology.streams.events, { seq: sent.seq });
    expect(stored?.header?.get(HEADER.payloadKey) ?? "").toBe("");
    expect(text(stored?.data ?? new Uint8Array())).toBe('{"type":"received"}');
  });
});
