import { describe, expect, it } from "vitest";
import { ENDPOINTS, envelope, fixtureRegistry, HUB, partyOf } from "../test/fixtures.ts";
import { planFactLookups } from "./route-facts.ts";

const registry = fixtureRegistry();

describe("planFactLookups", () => {
  it("checks the message's own id and every id it corrects, retracts or forwards, once each", () => {
    const message = envelope({
      messageId: "m1",
      links: {
        corrects: { messageId: "c" },
        retracts: { messageId: "c" },
        forwards: { messageId: "f" },
        inReplyTo: { messageId: "r" },
      },
    });
    expect(planFactLookups(message, registry)).toEqual({
      sourceReceivedIds: ["m1", "c", "f"],
      supersededId: "c",
      // Where it may go, addressed or by rule: whether any holds a "c" the sender never sent (someone else's).
      supersededHolders: ["practice-b", "databank"],
    });
  });

  it("looks up an acknowledgement's original at its addressee, the hub included", () => {
    const ack = (receiver = partyOf(ENDPOINTS.practiceA)) =>
      envelope({
        kind: "acknowledgement",
        content: { kind: "acknowledgement", code: "ok", respondsTo: "orig", issues: [] },
        receivers: [receiver],
      });
    expect(planFactLookups(ack(), registry).acknowledged).toEqual({ endpoint: "practice-a", messageId: "orig" });
    expect(planFactLookups(ack({ gln: HUB.gln }), registry).acknowledged).toEqual({
      endpoint: "carehub",
      messageId: "orig",
    });
    expect(planFactLookups(ack({ gln: "5790000999995" }), registry).acknowledged).toBeUndefined();
  });

  it("looks up a corrected lab result's original by its sample when it names none", () => {
    const corrected = envelope({
      messageId: "m3",
      content: {
        kind: "lab-result",
        letterType: "XRPT01",
        consentGiven: null,
        corrected: true,
        sampleId: "S9",
        results: [],
      },
    });
    expect(planFactLookups(corrected, registry)).toEqual({ sourceReceivedIds: ["m3"], correctedSample: "S9" });
  });

  it("plans no ordering or ack lookups for a plain new message", () => {
    const lookups = planFactLookups(envelope({ messageId: "m2" }), registry);
    expect(lookups).toEqual({ sourceReceivedIds: ["m2"] });
  });
});
