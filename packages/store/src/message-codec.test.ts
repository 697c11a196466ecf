import { MESSAGE_KINDS } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { event } from "./events.test-support.ts";
import { decodeMessage, encodeMessage, toLifecycle } from "./message-codec.ts";
import { applyEvent, type MessageState } from "./message-state.ts";

/*
 * The compact record (docs/decisions/0081-compact-message-record.md): code tables and shorter spellings that
 * read back as the same message, and records written before it that still read.
 */

const T0 = 1_760_000_000_000;
const HUB_ID = "008eebd5-ca4b-42ea-9bf2-d8990f0782b4";

function fold(events: Parameters<typeof applyEvent>[1][]): MessageState {
  let state: MessageState | undefined;
  for (const e of events) state = applyEvent(state, e);
  return state as MessageState;
}

function delivered(overrides: { messageId?: string; kind?: string; contentType?: string; traceId?: string }) {
  return fold([
    event("received", HUB_ID, T0, {
      messageId: overrides.messageId ?? "6564b36b-c578-4b35-a070-58015fca5a1b",
      sourceEndpoint: "practice-1",
      kind: (overrides.kind ?? "care-communication") as never,
      contentType: overrides.contentType ?? "application/fhir+json",
      size: 2048,
      ...(overrides.traceId === undefined ? {} : { traceId: overrides.traceId }),
    }),
    event("routed", HUB_ID, T0 + 10, { receivers: ["hospital-1"], ruleCopies: [] }),
    event("delivered", HUB_ID, T0 + 20, { endpoint: "hospital-1", attempt: 1, durationMs: 12 }),
  ]);
}

const roundTrip = (state: MessageState) => toLifecycle(decodeMessage(HUB_ID, encodeMessage(state)));

describe("compact message record", () => {
  // Catches: a record written before 0081 that no longer reads (or reads as another message) after the upgrade.
  it("reads a record of the former form as the same message, and writes it shorter", () => {
    const former =
      '{"f":1796572889734,"t":0,"m":"6564b36b-c578-4b35-a070-58015fca5a1b","k":"care-communication","s":"practice-1",' +
      '"tr":"d007736e008e412eb7e6f1eea8e426fe","ct":"application/fhir+json","z":2048,"r":{"hospital-1":[1,1,20,' +
      '[1000,"ok",0,"ack-1"],null,null,null]},"ph":"91_CtIZxip-goKuSm_EG6HQ3JjnLkweBS0HM0YPY7xI","h":[["rc",0,0],' +
      '["ro",10,0],["dl",20,0,"hospital-1",1,null,null,12],["ak",1000,0,"hospital-1",null,"ok"]]}';
    const state = decodeMessage(HUB_ID, former);
    expect(toLifecycle(state)).toMatchObject({
      messageId: "6564b36b-c578-4b35-a070-58015fca5a1b",
      kind: "care-communication",
      contentType: "application/fhir+json",
      traceId: "d007736e008e412eb7e6f1eea8e426fe",
      perReceiver: [{ endpoint: "hospital-1", status: "acknowledged", ackCode: "ok", ackHubId: "ack-1" }],
    });
    expect(state.hops.map((h) => h.eventId)).toEqual([
      `${HUB_ID}:received`,
      `${HUB_ID}:routed`,
      `${HUB_ID}:delivered:hospital-1:1`,
      `${HUB_ID}:acknowledged:hospital-1`,
    ]);
    const now = encodeMessage(state);
    expect(toLifecycle(decodeMessage(HUB_ID, now))).toEqual(toLifecycle(state));
    expect(decodeMessage(HUB_ID, now)).toEqual(state);
    expect(former.length - now.length).toBeGreaterThanOrEqual(80);
  });

  // Catches: two kinds sharing a code, or a code that reads back as another kind.
  it("gives every kind a code of its own that reads back as the kind", () => {
    for (const kind of MESSAGE_KINDS) {
      const text = encodeMessage(delivered({ kind }));
      expect(JSON.parse(text).k).toEqual(expect.any(Number));
      expect(roundTrip(delivered({ kind })).kind).toBe(kind);
    }
  });

  // Catches: a message id, trace id or content type that does not read back as written (an id of another
  // message, a 22-character id taken for a compact UUID, a trace id in another case).
  it("keeps every message id, trace id and content type as it was", () => {
    const cases = [
      { messageId: "6564b36b-c578-4b35-a070-58015fca5a1b", traceId: "4bf92f3577b34da6a3ce929d0e0e4736" },
      { messageId: "ZWRhM2IxYzQtZDc5Ni00Yj", traceId: "4BF92F3577B34DA6A3CE929D0E0E4736" },
      { messageId: "~tilde", traceId: "not-a-trace-id", contentType: "application/xml" },
      { messageId: "6564B36B-C578-4B35-A070-58015FCA5A1B", contentType: "text/plain; charset=utf-8" },
      { messageId: "LAB-2026-000001", contentType: "application/fhir+xml" },
      // The sender's header: names of an object's own machinery are content types like any other.
      { messageId: "__proto__", contentType: "__proto__" },
      { messageId: "constructor", contentType: "constructor" },
    ];
    for (const c of cases) {
      const lifecycle = roundTrip(delivered(c));
      expect(lifecycle.messageId).toBe(c.messageId);
      expect(lifecycle.traceId).toBe(c.traceId);
      expect(lifecycle.contentType).toBe(c.contentType ?? "application/fhir+json");
    }
  });

  // Catches: a record written before 0119 (the stages' event ids spelled out, the acknowledgement's hub id in 36
  // characters) that no longer reads, or reads with other event ids — a redelivered event then folded twice.
  it("reads a record of the release before 0119 as the same message, and writes its stage event ids as codes", () => {
    // As the hub wrote it (pnpm bench:e2e, receivers acknowledge, 2026-12-07, the round's start 1fcc28e).
    const hubId = "8449c266-8bcf-50b6-bcf4-27189861a68f";
    const ackHubId = "c0b2e0cb-4e06-5dea-86e9-3adc7b015e54";
    const former =
      '{"f":1796634681251,"t":0,"mi":"jEgJVs8BQACAAAAAAAAAVA","k":8,"s":"acute-team","tb":"RK4SC1TvTAcLKsVqNnsoCg",' +
      `"ct":1,"z":21318,"r":{"practice":[1,1,490,[609,"ok",":acknowledged:practice:${ackHubId}","${ackHubId}"]]},` +
      '"ph":"dCsU3WxChTiWpi1A-C9gOZ","h":[["rc",0],["ro",276],["dl",490,":delivered:practice","practice",1,null,' +
      `null,42],["ak",609,":acknowledged:practice:${ackHubId}","practice",null,"ok"]]}`;
    const state = decodeMessage(hubId, former);
    expect(state.receivers.practice?.ack).toEqual({
      at: 1796634681251 + 609,
      code: "ok",
      eventId: `${hubId}:acknowledged:practice:${ackHubId}`,
      ackHubId,
    });
    expect(state.hops.map((h) => h.eventId)).toEqual([
      `${hubId}:received`,
      `${hubId}:routed`,
      `${hubId}:delivered:practice`,
      `${hubId}:acknowledged:practice:${ackHubId}`,
    ]);
    const now = encodeMessage(state);
    expect(decodeMessage(hubId, now)).toEqual(state);
    const packed = JSON.parse(now) as { r: { practice: unknown[] }; h: unknown[][] };
    expect(packed.r.practice[3]).toEqual([609, "ok", 2, "wLLgy04GXeqG6TrcewFeVA"]);
    expect(packed.h[2]).toEqual(["dl", 490, 1, "practice", 1, null, null, 42]);
    expect(packed.h[3]).toEqual(["ak", 609, 2, "practice", null, "ok"]);
    expect(former.length - now.length).toBeGreaterThanOrEqual(150);
  });

  // Catches: a code that stands for an event id the record cannot make again — an earlier acknowledgement's hop
  // named by the receiver's latest acknowledgement, a resend's or another stage's id taken for the dispatcher's.
  it("keeps an event id as itself where no code makes it again", () => {
    // hospital-1's acknowledgement `ackHubId`, as the router relays it (its event id ends with that hub id).
    const relayedAcknowledgement = (at: number, code: "ok" | "fatal-error", ackHubId: string) =>
      event(
        "acknowledged",
        HUB_ID,
        at,
        { endpoint: "hospital-1", code, ackHubId },
        `acknowledged:hospital-1:${ackHubId}`,
      );
    const first = "7d5e0a4e-31c4-4c55-8f8e-0a1b2c3d4e5f";
    const second = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    const state = fold([
      event("received", HUB_ID, T0, {
        messageId: "m-1",
        sourceEndpoint: "practice-1",
        kind: "referral",
        contentType: "application/fhir+json",
        size: 1024,
      }),
      event("routed", HUB_ID, T0 + 10, { receivers: ["hospital-1"], ruleCopies: [] }),
      event(
        "delivered",
        HUB_ID,
        T0 + 20,
        { endpoint: "hospital-1", attempt: 2, durationMs: 9 },
        "delivered:hospital-1",
      ),
      event(
        "delivered",
        HUB_ID,
        T0 + 30,
        { endpoint: "hospital-1", attempt: 1, durationMs: 9 },
        "delivered:hospital-1:resend-1",
      ),
      relayedAcknowledgement(T0 + 1_000, "fatal-error", first),
      relayedAcknowledgement(T0 + 2_000, "ok", second),
    ]);
    const text = encodeMessage(state);
    const hops = (JSON.parse(text) as { h: unknown[][] }).h;
    expect(hops.map((h) => h[2])).toEqual([
      undefined,
      undefined,
      1,
      ":delivered:hospital-1:resend-1",
      `:acknowledged:hospital-1:${first}`,
      2,
    ]);
    expect(decodeMessage(HUB_ID, text)).toEqual(state);
    expect(state.receivers["hospital-1"]?.ack?.ackHubId).toBe(second);
  });
});
