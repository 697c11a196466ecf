import type { Envelope, LifecycleEvent } from "@carehub/schemas";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dayStatOps } from "./day-stats.ts";
import { envelope, event } from "./events.test-support.ts";
import { storeKeys } from "./keys.ts";
import { asDecoded, decodeMessage, encodeMessage } from "./message-codec.ts";
import { applyEnvelope, applyEvent, applyReplayLink, type EnvelopeFacts, type MessageState } from "./message-state.ts";
import { planMessageWrite } from "./write-plan.ts";

/*
 * The store folds the next change into the state it wrote last as it has it in hand, instead of decoding the text
 * it wrote (store.ts `#messageWrite`, recent-records.ts). That is only the same as decoding when decoding what
 * encodeMessage wrote gives back the state it was written from, for every field a fold, the write plan or the
 * encoder looks at, and when no fold changes the state it was given. These properties hold the codec and the
 * folds to that over arbitrary histories of one message.
 */

const HUB_ID = "3f9a1c52-7d0e-4b8a-9c61-0d2e5f7a8b90";
const T0 = 1_796_000_000_000;
const ENDPOINTS = ["gp-1", "hosp-1", "lab-1"] as const;
const KINDS = ["care-communication", "lab-result", "referral", "acknowledgement", "letter"] as const;

const at = fc.integer({ min: 0, max: 3_600_000 }).map((offset) => T0 + offset);
const endpoint = fc.constantFrom(...ENDPOINTS);
const attempt = fc.integer({ min: 1, max: 4 });
const text = fc.constantFrom("", "timeout", "Sønderborg Lægehus æøå", "😀 𝔘", "x".repeat(400));
const otherHubId = fc.constantFrom("8c8dfd5e-d0d9-58e5-a34e-8b87e32b4d02", "replay-2", "~odd");
const base = fc.record(
  {
    messageId: fc.constantFrom("6564b36b-c578-4b35-a070-58015fca5a1b", "msg-1", "90734000000083"),
    sourceEndpoint: endpoint,
    kind: fc.constantFrom(...KINDS),
    traceId: fc.constantFrom("d007736e008e412eb7e6f1eea8e426fe", "not-a-w3c-id"),
  },
  { requiredKeys: [] },
);
const subject = fc.record({
  type: fc.constantFrom("referral", "task", "appointment"),
  id: fc.constantFrom("r-1", "t 2"),
});

/** Any lifecycle event about the message, with the fields each fold reads, optional ones sometimes left out. */
const lifecycleEvent: fc.Arbitrary<LifecycleEvent> = fc.oneof(
  fc
    .tuple(at, base, fc.constantFrom("application/fhir+json", "text/plain"), fc.nat(100_000))
    .map(([t, b, contentType, size]) => event("received", HUB_ID, t, { ...b, contentType, size } as never)),
  fc
    .tuple(at, base, fc.constantFrom("gateway", "intake", "router"), text, fc.option(fc.constantFrom("/a", "/b")))
    .map(([t, b, stage, message, path]) =>
      event("rejected", HUB_ID, t, {
        ...b,
        stage,
        issues: [{ code: "invalid", message, ...(path === null ? {} : { path }) }],
      } as never),
    ),
  fc.tuple(at, base, otherHubId).map(([t, b, originalHubId]) => event("duplicate", HUB_ID, t, { ...b, originalHubId })),
  fc
    .tuple(
      at,
      base,
      fc.uniqueArray(endpoint, { minLength: 1 }),
      fc.array(fc.record({ endpoint, rule: fc.constantFrom("copy-1", "copy-2") }), { maxLength: 2 }),
      fc.option(fc.boolean()),
      fc.record({ inReplyTo: otherHubId, corrects: otherHubId, retracts: otherHubId }, { requiredKeys: [] }),
      fc.option(otherHubId),
    )
    .map(([t, b, receivers, ruleCopies, ackRequested, links, translatedFrom]) =>
      event("routed", HUB_ID, t, {
        ...b,
        receivers,
        ruleCopies,
        links,
        ...(ackRequested === null ? {} : { ackRequested }),
        ...(translatedFrom === null ? {} : { translatedFrom }),
      } as never),
    ),
  fc.tuple(at, base, endpoint, otherHubId).map(([t, b, e, letterHubId]) =>
    event("translated", HUB_ID, t, {
      ...b,
      endpoint: e,
      letterHubId,
      letterId: "L-1",
      letterType: "XDIS91",
    } as never),
  ),
  fc.tuple(at, base, endpoint, attempt, fc.nat(5_000), fc.boolean()).map(([t, b, e, n, durationMs, contractId]) =>
    // The contract's event id, or the dispatcher's (no attempt: one delivery per receiver, 0119).
    event(
      "delivered",
      HUB_ID,
      t,
      { ...b, endpoint: e, attempt: n, durationMs },
      contractId ? undefined : `delivered:${e}`,
    ),
  ),
  fc
    .tuple(at, base, endpoint, attempt, text)
    .map(([t, b, e, n, message]) =>
      event("delivery-failed", HUB_ID, t, { ...b, endpoint: e, attempt: n, error: { code: "http-503", message } }),
    ),
  fc.tuple(at, base, fc.option(endpoint), text, attempt).map(([t, b, e, message, attempts]) =>
    event("dead-lettered", HUB_ID, t, {
      ...b,
      stage: "dispatcher",
      reason: { code: "gave-up", message },
      attempts,
      ...(e === null ? {} : { endpoint: e }),
    } as never),
  ),
  fc
    .tuple(at, base, endpoint, fc.constantFrom("ok", "error"), fc.option(otherHubId), fc.nat(2))
    .map(([t, b, e, code, ackHubId, id]) =>
      event(
        "acknowledged",
        HUB_ID,
        t,
        { ...b, endpoint: e, code, ...(ackHubId === null ? {} : { ackHubId }) } as never,
        // The contract's event id; the router's (the acknowledgement's hub id last, 0119); or another (a second
        // acknowledgement of the same receiver).
        id === 0
          ? undefined
          : id === 1 && ackHubId !== null
            ? `acknowledged:${e}:${ackHubId}`
            : `acknowledged:${e}:${t}`,
      ),
    ),
  fc
    .tuple(at, base, endpoint)
    .map(([t, b, e]) =>
      event("ack-overdue", HUB_ID, t, { ...b, endpoint: e, dueAt: new Date(t - 60_000).toISOString() }),
    ),
  fc.tuple(at, base, subject).map(([t, b, s]) =>
    event("status-changed", HUB_ID, t, {
      ...b,
      subject: s,
      to: "accepted",
      occurredAt: new Date(t).toISOString(),
    } as never),
  ),
  fc
    .tuple(at, base, subject, text)
    .map(([t, b, s, reason]) =>
      event("transition-refused", HUB_ID, t, { ...b, subject: s, to: "closed", reason } as never),
    ),
  fc
    .tuple(at, base, subject)
    .map(([t, b, s]) =>
      event("stale", HUB_ID, t, { ...b, subject: s, status: "sent", since: new Date(t - 1).toISOString() } as never),
    ),
  fc
    .tuple(at, base, otherHubId, text)
    .map(([t, b, originalHubId, reason]) => event("replayed", HUB_ID, t, { ...b, originalHubId, reason })),
);

/** The message's envelope with the facts the tracker adds (subject, patient hash), optional parts left out. */
const envelopeChange = fc
  .tuple(
    at,
    fc.constantFrom(...KINDS),
    fc.boolean(),
    fc.record({ inReplyTo: otherHubId, corrects: otherHubId }, { requiredKeys: [] }),
    fc.option(
      fc.record({ type: fc.constantFrom("referral", "task"), id: fc.constantFrom("r-1"), originator: endpoint }),
    ),
    fc.option(fc.constantFrom("CSwuNW2DHHQ5BeP2Q1V_Kcz1YN3tvgnFhNRDC5t13_U")),
    fc.option(otherHubId),
  )
  .map(([t, kind, ackRequested, links, subjectRef, patientHash, replayOf]) => {
    const refs = Object.fromEntries(Object.entries(links).map(([name, messageId]) => [name, { messageId }]));
    const env = envelope(HUB_ID, t, {
      kind,
      ackRequested,
      links: refs as Envelope["links"],
      ...(replayOf === null ? {} : { replayOf }),
    });
    const facts: EnvelopeFacts = {
      ...(subjectRef === null ? {} : { subject: subjectRef }),
      ...(patientHash === null ? {} : { patientHash }),
    };
    return { envelope: env, facts };
  });

type Change = { event: LifecycleEvent } | { envelope: Envelope; facts: EnvelopeFacts } | { replayLink: string };

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 6, arbitrary: lifecycleEvent.map((e) => ({ event: e })) },
  { weight: 1, arbitrary: envelopeChange },
  { weight: 1, arbitrary: otherHubId.map((replayLink) => ({ replayLink })) },
);

function fold(current: MessageState | undefined, c: Change): MessageState | undefined {
  if ("event" in c) return applyEvent(current, c.event);
  if ("envelope" in c) return applyEnvelope(current, c.envelope, c.facts);
  return applyReplayLink(current, c.replayLink);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const keys = storeKeys("prop");
const ctx = { keys, ackTimeoutMs: () => 60_000, staleLimits: {} };
// Up to 60 changes: past the hops kept (12 + 36), so the record also leaves hops out.
const histories = fc.array(change, { minLength: 1, maxLength: 60 });

describe("the state a store wrote last, kept decoded", () => {
  // Catches: a field the codec loses or changes (a rule, an acknowledgement's hub id, a non-contract event id, a
  // trace id that is not W3C, a subject's originator): the state in hand would differ from the record in Redis.
  it("decodes what encodeMessage wrote to the state it was written from", () => {
    fc.assert(
      fc.property(histories, (changes) => {
        let state: MessageState | undefined;
        for (const c of changes) {
          state = fold(state, c) ?? state;
          if (state === undefined) continue;
          const decoded = decodeMessage(HUB_ID, encodeMessage(state));
          expect(decoded).toEqual(state);
          // In the same order too, where order is something the write plan sees.
          expect(Object.keys(asDecoded(state).receivers)).toEqual(Object.keys(decoded.receivers));
        }
      }),
      { numRuns: 300 },
    );
  });

  // Catches: a fold that changes the state it is given (then the state kept in hand is no longer what was
  // written), or a write planned from the kept state that differs from one planned from the decoded record.
  it("folds the kept state to the same record and the same writes as the decoded one, without changing it", () => {
    fc.assert(
      fc.property(histories, (changes) => {
        let kept: MessageState | undefined;
        let text: string | undefined;
        for (const c of changes) {
          const decoded = text === undefined ? undefined : decodeMessage(HUB_ID, text);
          const fromKept = fold(kept === undefined ? undefined : deepFreeze(kept), c);
          const fromDecoded = fold(decoded, c);
          if (fromKept === undefined || fromDecoded === undefined) {
            expect(fromKept).toEqual(fromDecoded);
            continue;
          }
          const next = encodeMessage(fromKept);
          expect(next).toBe(encodeMessage(fromDecoded));
          expect(planMessageWrite(kept, fromKept, ctx)).toEqual(planMessageWrite(decoded, fromDecoded, ctx));
          expect(dayStatOps(kept, fromKept, keys, 1_000)).toEqual(dayStatOps(decoded, fromDecoded, keys, 1_000));
          kept = asDecoded(fromKept);
          text = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
