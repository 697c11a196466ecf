import type { MessageLifecycle } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.ts";
import type { SendResult } from "./hub-client.ts";
import { createOutbox, type SentStatus } from "./outbox.ts";

const MINUTE = 60_000;

function bundle(id: string, messageId: string, timestamp = "2026-01-01T00:00:00.000Z") {
  return JSON.stringify({
    resourceType: "Bundle",
    id,
    type: "message",
    timestamp,
    entry: [{ resource: { resourceType: "MessageHeader", id: messageId } }],
  });
}

function recordingHub() {
  const sent: { body: string; contentType: string }[] = [];
  return {
    sent,
    client: {
      async send(body: string | Uint8Array, options: { contentType: string }): Promise<SendResult> {
        const text = typeof body === "string" ? body : new TextDecoder().decode(body);
        sent.push({ body: text, contentType: options.contentType });
        const messageId = (JSON.parse(text) as { entry: { resource: { id: string } }[] }).entry[0]?.resource.id ?? "";
        return { id: "hub-1", messageId, status: "received", duplicate: sent.length > 1 };
      },
      async getMessage(hubId: string) {
        return { hubId, status: "delivered" } as MessageLifecycle;
      },
    },
  };
}

function setup(options: { ackTimeoutMs?: number; maxResends?: number } = {}) {
  const clock = createManualClock(Date.parse("2026-03-01T10:00:00Z"));
  const hub = recordingHub();
  const gaveUp: SentStatus[] = [];
  const acknowledged: SentStatus[] = [];
  let envelope = 0;
  const outbox = createOutbox({
    client: hub.client,
    clock,
    ...options,
    newEnvelopeId: () => `envelope-${++envelope}`,
    onGiveUp: (status) => gaveUp.push(status),
    onAcknowledged: (status) => acknowledged.push(status),
  });
  return { clock, hub, outbox, gaveUp, acknowledged };
}

describe("outbox resend policy", () => {
  it("resends after 30 minutes without an acknowledgement, at most twice, then gives up", async () => {
    const { clock, hub, outbox, gaveUp } = setup();
    await outbox.send(bundle("envelope-0", "message-1"), { contentType: "application/fhir+json" });
    expect(hub.sent).toHaveLength(1);

    clock.advance(30 * MINUTE - 1);
    expect(hub.sent).toHaveLength(1);
    clock.advance(1);
    await Promise.resolve();
    expect(hub.sent).toHaveLength(2);
    clock.advance(30 * MINUTE);
    await Promise.resolve();
    expect(hub.sent).toHaveLength(3);
    expect(gaveUp).toHaveLength(0);

    clock.advance(30 * MINUTE);
    expect(hub.sent).toHaveLength(3);
    expect(gaveUp).toEqual([{ messageId: "message-1", hubId: "hub-1", state: "failed", transmissions: 3 }]);
    expect(outbox.tracked("message-1")?.state).toBe("failed");
    expect(outbox.pending()).toEqual([]);
    clock.advance(10 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(3);
    expect(gaveUp).toHaveLength(1);
  });

  it("gives every resend a new Bundle.id and timestamp and keeps the MessageHeader.id and content", async () => {
    const { clock, hub, outbox } = setup();
    await outbox.send(bundle("envelope-0", "message-1"), { contentType: "application/fhir+json" });
    clock.advance(30 * MINUTE);
    await Promise.resolve();
    clock.advance(30 * MINUTE);
    await Promise.resolve();
    const bodies = hub.sent.map((s) => JSON.parse(s.body) as Record<string, unknown>);
    expect(bodies.map((b) => b.id)).toEqual(["envelope-0", "envelope-1", "envelope-2"]);
    expect(bodies.map((b) => b.timestamp)).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-03-01T10:30:00.000Z",
      "2026-03-01T11:00:00.000Z",
    ]);
    for (const body of bodies)
      expect(body.entry).toEqual([{ resource: { resourceType: "MessageHeader", id: "message-1" } }]);
    expect(new Set(hub.sent.map((s) => s.contentType))).toEqual(new Set(["application/fhir+json"]));
  });

  it("stops resending once the acknowledgement arrives and reports it once", async () => {
    const { clock, hub, outbox, gaveUp, acknowledged } = setup();
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    clock.advance(30 * MINUTE);
    await Promise.resolve();
    expect(outbox.acknowledged("message-1", "ok")).toBe(true);
    expect(outbox.acknowledged("message-1", "ok")).toBe(false);
    clock.advance(5 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(2);
    expect(gaveUp).toEqual([]);
    expect(acknowledged).toEqual([
      { messageId: "message-1", hubId: "hub-1", state: "acknowledged", code: "ok", transmissions: 2 },
    ]);
  });

  it("records a negative acknowledgement as such and does not resend", async () => {
    const { clock, hub, outbox } = setup();
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    outbox.acknowledged("message-1", "fatal-error");
    clock.advance(3 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(1);
    expect(outbox.tracked("message-1")).toMatchObject({ state: "negatively-acknowledged", code: "fatal-error" });
  });

  it("accepts an acknowledgement that overtakes the answer to the send", async () => {
    const { clock, hub, outbox } = setup();
    outbox.acknowledged("message-1", "ok");
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    clock.advance(3 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(1);
    expect(outbox.tracked("message-1")?.state).toBe("acknowledged");
  });

  it("honours a configured timeout and resend count", async () => {
    const { clock, hub, outbox, gaveUp } = setup({ ackTimeoutMs: 1_000, maxResends: 0 });
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    clock.advance(1_000);
    expect(hub.sent).toHaveLength(1);
    expect(gaveUp.map((g) => g.transmissions)).toEqual([1]);
  });

  it("does not track what is sent without expecting an acknowledgement", async () => {
    const { clock, hub, outbox } = setup();
    await outbox.send(bundle("e", "ack-1"), { contentType: "application/fhir+json", expectAcknowledgement: false });
    clock.advance(3 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(1);
    expect(outbox.tracked("ack-1")).toBeUndefined();
  });

  it("follows a sent message's status on the hub", async () => {
    const { outbox } = setup();
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    await expect(outbox.status("message-1")).resolves.toEqual({
      messageId: "message-1",
      hubId: "hub-1",
      state: "awaiting-ack",
      transmissions: 1,
      hub: { hubId: "hub-1", status: "delivered" },
    });
    await expect(outbox.status("unknown")).resolves.toBeUndefined();
  });

  it("sends nothing after close", async () => {
    const { clock, hub, outbox } = setup();
    await outbox.send(bundle("e", "message-1"), { contentType: "application/fhir+json" });
    outbox.close();
    clock.advance(3 * 30 * MINUTE);
    expect(hub.sent).toHaveLength(1);
  });
});
