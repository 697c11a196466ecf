import { describe, expect, it } from "vitest";
import {
  hubMessageIds,
  ingressHubId,
  messageHubId,
  negativeAcknowledgementIds,
  repeatAnswerIds,
} from "./derived-ids.ts";

describe("the hub's derived ids", () => {
  // Pinned: a hub upgraded in place must derive the ids its Redis records and streams already hold, or every
  // message in flight across the upgrade would be taken for a new one (delivered twice).
  it("keep the values earlier releases derived", () => {
    expect(messageHubId("ns1", "lab", "m-1")).toBe("c3b97306-a801-52cc-b809-4f5c10ecae8d");
    expect(ingressHubId("NS1_INGRESS", 7)).toBe("96487b1d-4118-5e86-b290-3fb963061f66");
    expect(negativeAcknowledgementIds("h1")).toEqual({
      hubId: "8e6e989a-69c0-5093-9b2f-899b8d5870da",
      bundleId: "7e4b6962-da5b-56f4-85e0-d93fad81cd75",
      letterId: "00647971329919",
      envelopeId: "67548925309979",
    });
  });

  it("are UUIDv5 and keep their parts apart", () => {
    expect(messageHubId("ns1", "lab", "m-1")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(messageHubId("ns1", "lab", "m-1")).not.toBe(messageHubId("ns1", "lab-m", "1"));
    expect(messageHubId("ns1", "lab", "m-1")).not.toBe(messageHubId("ns2", "lab", "m-1"));
  });

  it("give every repeat's answer ids of its own, all different from the first answer's", () => {
    const a = repeatAnswerIds("h1", "copy-a");
    const b = repeatAnswerIds("h1", "copy-b");
    expect(new Set([a.hubId, a.bundleId, b.hubId, b.bundleId, negativeAcknowledgementIds("h1").hubId]).size).toBe(5);
    expect(a.letterId).toMatch(/^\d{14}$/);
  });

  it("give a message the hub makes the hub id intake derives for it", () => {
    const ids = hubMessageIds("ns1", "carehub", "effect-1");
    expect(ids.hubId).toBe(messageHubId("ns1", "carehub", ids.messageId));
    expect(hubMessageIds("ns1", "carehub", "effect-1")).toEqual(ids);
    expect(hubMessageIds("ns1", "carehub", "effect-2").messageId).not.toBe(ids.messageId);
  });
});
