import { createHash } from "node:crypto";
import { formatPayloadReference, HEADER } from "@carehub/bus";
import { connectTestBus } from "@carehub/bus/testing";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispatcherTestbed,
  FAST_DISPATCH,
  httpDelivery,
  SwappableRegistry,
  type TestReceiver,
  testEndpoint,
  testRegistry,
  toOutbox,
  waitFor,
} from "../test/support.ts";
import { dispatchKeys } from "./dispatch-keys.ts";
import { DEFAULT_DISPATCHER_OPTIONS } from "./dispatcher-config.ts";
import { resendDelivered } from "./resend.ts";

/**
 * Deliveries of OUTBOX copies by reference (docs/decisions/0109) on real NATS and Redis: the receivers get the
 * INGRESS bytes exactly, an operator's re-send stores the bytes themselves, and a copy whose INGRESS copy is gone is
 * dead-lettered with its code, never delivered empty.
 */
const bed = dispatcherTestbed("outref");
let a: TestReceiver;
let b: TestReceiver;
const registry = new SwappableRegistry(testRegistry([testEndpoint("placeholder")]));
const keys = dispatchKeys(bed.ns);

let sequence = 0;
const hubId = (label: string) => `${label}-${++sequence}-${Date.now()}`;
const requestsFor = (r: TestReceiver, id: string) => r.requests.filter((q) => q.headers["carehub-hub-id"] === id);

/** Bytes that an encoding slip would change: every byte value after a Danish XML letter. */
function bytesOf(id: string): Buffer {
  return Buffer.concat([
    Buffer.from(`<letter id="${id}">blodtryk æøå</letter>`),
    Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)),
  ]);
}

/** The message on INGRESS as the gateway stores it, and its reference. */
async function toIngress(id: string, bytes: Buffer): Promise<{ reference: string; seq: number }> {
  const stored = await bed.bus.publish(bed.bus.topology.subjects.ingress("sender-x"), bytes, {
    msgId: id,
    headers: { [HEADER.hubId]: id, "Carehub-Source-Endpoint": "sender-x" },
  });
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return {
    reference: formatPayloadReference({ stream: stored.stream, seq: stored.seq, size: bytes.byteLength, sha256 }),
    seq: stored.seq,
  };
}

/** A router's copy by reference for `endpoint`, with the OUTBOX contract headers. */
function copyByReference(endpoint: string, id: string, reference: string): Promise<number> {
  return toOutbox(bed.bus, endpoint, id, { body: new Uint8Array(0), headers: { [HEADER.payloadRef]: reference } });
}

beforeAll(async () => {
  a = await bed.receiver();
  b = await bed.receiver();
  registry.set(testRegistry([testEndpoint("ep-a", httpDelivery(a)), testEndpoint("ep-b", httpDelivery(b))]));
  await bed.dispatcher({ registry, options: FAST_DISPATCH });
});

describe("a copy by reference", () => {
  it("reaches every receiver as the INGRESS bytes, byte for byte, beside an inline copy of the old form", async () => {
    const id = hubId("ref");
    const bytes = bytesOf(id);
    const { reference } = await toIngress(id, bytes);
    await copyByReference("ep-a", id, reference);
    await copyByReference("ep-b", id, reference);
    // An OUTBOX entry written before this release: the bytes in the message itself.
    const old = hubId("inline");
    await bed.toOutbox("ep-a", old, { body: bytesOf(old) });

    await waitFor(() => bed.events.of("delivered", id).length === 2 || undefined, "delivered to both receivers");
    await waitFor(() => bed.events.of("delivered", old)[0], "the inline copy delivered");
    // Catches the entry's own (empty) bytes delivered, or the bytes mangled on the way back from INGRESS.
    expect(requestsFor(a, id).map((r) => r.body.equals(bytes))).toEqual([true]);
    expect(requestsFor(b, id).map((r) => r.body.equals(bytes))).toEqual([true]);
    expect(requestsFor(a, old).map((r) => r.body.equals(bytesOf(old)))).toEqual([true]);
    expect(requestsFor(a, id)[0]?.headers["content-type"]).toBe("application/xml");
  });

  it("is re-sent by an operator as a copy that stores its bytes (OUTBOX keeps it longer than INGRESS may)", async () => {
    const id = hubId("resend");
    const bytes = bytesOf(id);
    const { reference } = await toIngress(id, bytes);
    await copyByReference("ep-a", id, reference);
    await waitFor(() => bed.events.of("delivered", id)[0], "delivered");

    const report = await resendDelivered(
      { bus: bed.bus, redis: bed.redis, keys, ttlSeconds: DEFAULT_DISPATCHER_OPTIONS.stateTtlSeconds },
      { hubIds: [id], endpoint: "ep-a", limit: 1 },
    );
    expect(report.resent).toBe(1);
    await waitFor(() => requestsFor(a, id).length === 2 || undefined, "the re-send delivered");
    expect(requestsFor(a, id)[1]?.body.equals(bytes)).toBe(true);
    const copy = await bed.bus.jsm.streams.getMessage(bed.bus.topology.streams.outbox, {
      last_by_subj: bed.bus.topology.subjects.outbox("ep-a"),
    });
    // Catches the reference copied into the re-send: a re-send made on day 29 would point at what day 30 removes.
    expect(copy?.header?.get("Carehub-Resend")).toBe("1");
    expect(copy?.header?.get(HEADER.payloadRef) ?? "").toBe("");
    expect(Buffer.from(copy?.data ?? []).equals(bytes)).toBe(true);
  });

  it("whose INGRESS copy is gone is skipped by a re-send batch, which goes on with the next", async () => {
    const lost = hubId("lost");
    const kept = hubId("kept");
    const lostIngress = await toIngress(lost, bytesOf(lost));
    const keptIngress = await toIngress(kept, bytesOf(kept));
    await copyByReference("ep-a", lost, lostIngress.reference);
    await copyByReference("ep-a", kept, keptIngress.reference);
    await waitFor(
      () => (bed.events.of("delivered", lost)[0] && bed.events.of("delivered", kept)[0]) || undefined,
      "both delivered",
    );
    await bed.bus.jsm.streams.deleteMessage(bed.bus.topology.streams.ingress, lostIngress.seq);

    // A fresh bus, as the console's: the dispatcher's bus still holds the lost copy among its recent reads.
    const fresh = await connectTestBus(bed.ns);
    let report: Awaited<ReturnType<typeof resendDelivered>>;
    try {
      report = await resendDelivered(
        { bus: fresh, redis: bed.redis, keys, ttlSeconds: DEFAULT_DISPATCHER_OPTIONS.stateTtlSeconds },
        { hubIds: [lost, kept], endpoint: "ep-a", limit: 10 },
      );
    } finally {
      await fresh.drain();
    }
    // Catches the batch aborted by the first copy whose reference cannot be followed.
    expect(report).toEqual({ resent: 1, hubIds: [kept], skipped: [lost] });
  });

  it("whose INGRESS copy is gone is dead-lettered with CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING, nothing delivered", async () => {
    const id = hubId("gone");
    const { reference, seq } = await toIngress(id, bytesOf(id));
    await bed.bus.jsm.streams.deleteMessage(bed.bus.topology.streams.ingress, seq);
    await copyByReference("ep-b", id, reference);

    const dead = await waitFor(() => bed.events.of("dead-lettered", id)[0], "the dead-lettered event");
    // Catches an empty body delivered for a lost one, and a failure that says nothing about why.
    expect(dead.reason.code).toBe("CAREHUB_ERR_BUS_PAYLOAD_REFERENCE_MISSING");
    expect(dead.endpoint).toBe("ep-b");
    expect(requestsFor(b, id)).toHaveLength(0);
  });
});
