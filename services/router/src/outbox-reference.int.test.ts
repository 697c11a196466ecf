import { createHash } from "node:crypto";
import { formatPayloadReference, HEADER } from "@carehub/bus";
import type { Envelope } from "@carehub/schemas";
import { beforeAll, describe, expect, it } from "vitest";
import { LAB_DATABANK_RULE } from "../test/fixtures.ts";
import { type RouterTestbed, routerTestbed, waitFor } from "../test/support.ts";

/**
 * The router's copies by reference (docs/decisions/0109) on real NATS and Redis: a message's own bytes go to OUTBOX
 * as a reference to their INGRESS copy while INGRESS (30 days by default) outlives the copy (OUTBOX 7), and inline
 * when it may not: a message routed too long after it arrived, or a hub with a size budget.
 */
const bed = routerTestbed("outref", { rules: [LAB_DATABANK_RULE] });
const off = routerTestbed("outrefoff", { rules: [LAB_DATABANK_RULE] });
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  await bed.router({ concurrency: 2, config: { outboxByReference: true } });
  // The default: CAREHUB_OUTBOX_BY_REFERENCE off.
  await off.router({ concurrency: 2 });
});

/** Ingests `bytes` received at `receivedAt`, with its true size and digest, and routes it; returns the envelope. */
async function routed(on: RouterTestbed, bytes: string, receivedAt: Date): Promise<Envelope> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const size = Buffer.byteLength(bytes);
  const message = await on.ingest(
    {
      receivedAt: receivedAt.toISOString(),
      payload: { stream: "", seq: 0, contentType: "application/xml", sha256, size },
    },
    bytes,
  );
  await on.toPipeline(message);
  await waitFor(() => on.events.of("routed", message.hubId)[0], "routed event");
  return message;
}

/** The copy of `hubId` stored on the receiver's OUTBOX subject, as stored and as the bus reads it. */
async function copyOf(on: RouterTestbed, receiver: string, hubId: string) {
  const stored = await on.bus.jsm.streams.getMessage(on.bus.topology.streams.outbox, {
    last_by_subj: on.bus.topology.subjects.outbox(receiver),
  });
  expect(stored?.header?.get(HEADER.hubId)).toBe(hubId);
  const read = await on.bus.getMessage(on.bus.topology.streams.outbox, stored?.seq ?? 0);
  return { stored: stored as NonNullable<typeof stored>, read: read as NonNullable<typeof read> };
}

describe("the router's copies", () => {
  it("name the INGRESS copy of a message received now, and read back as its bytes, byte for byte", async () => {
    const bytes = "<LaboratoryReport>by reference æøå</LaboratoryReport>";
    const message = await routed(bed, bytes, new Date());
    for (const receiver of ["practice-b", "databank"]) {
      const { stored, read } = await copyOf(bed, receiver, message.hubId);
      // Catches the router still copying the payload per receiver (issue 15 item 3).
      expect(stored.data.byteLength).toBe(0);
      expect(stored.header?.get(HEADER.payloadRef)).toBe(formatPayloadReference(message.payload));
      expect(Buffer.from(read.data).toString()).toBe(bytes);
      // The contract headers are those of an inline copy.
      expect(read.headers).toMatchObject({
        "Carehub-Receiver": receiver,
        "Carehub-Message-Id": message.messageId,
        "Content-Type": "application/xml",
      });
    }
  });

  it("carry the bytes when the message arrived so long ago that its INGRESS copy could leave before the copy", async () => {
    const bytes = "<LaboratoryReport>routed late</LaboratoryReport>";
    // 30 days of INGRESS from its arrival, 7 of OUTBOX from now: 24 days late leaves the copy without its target.
    const message = await routed(bed, bytes, new Date(Date.now() - 24 * DAY_MS));
    const { stored } = await copyOf(bed, "practice-b", message.hubId);
    // Catches the age rule left out of the policy.
    expect(stored.header?.get(HEADER.payloadRef) ?? "").toBe("");
    expect(Buffer.from(stored.data).toString()).toBe(bytes);
  });

  it("carry the bytes while CAREHUB_OUTBOX_BY_REFERENCE is off (the default)", async () => {
    const bytes = "<LaboratoryReport>off</LaboratoryReport>";
    const message = await routed(off, bytes, new Date());
    for (const receiver of ["practice-b", "databank"]) {
      const { stored } = await copyOf(off, receiver, message.hubId);
      // Catches references on by default: an older dispatcher in a rolling upgrade delivers them as empty bodies.
      expect(stored.header?.get(HEADER.payloadRef) ?? "").toBe("");
      expect(Buffer.from(stored.data).toString()).toBe(bytes);
    }
  });

  it("are never by reference on a hub with a size budget: a router so configured does not start", async () => {
    // Catches the router ignoring `streamMaxBytes`: the size sweep purges INGRESS copies that OUTBOX entries name.
    await expect(
      off.router({ concurrency: 1, config: { outboxByReference: true, streamMaxBytes: 1 << 30 } }),
    ).rejects.toThrow(/CAREHUB_OUTBOX_BY_REFERENCE: not with a size budget/);
  });
});
