import { describe, expect, it } from "vitest";
import { messageHubId, nameBasedUuid, randomHubId } from "./hub-id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("hub ids", () => {
  it("derives the same version-5 id for the same namespace, endpoint and message id", () => {
    const id = messageHubId("carehub", "practice-a", "42cb9200-1111-2222-3333-444455556666");
    expect(id).toMatch(UUID);
    expect(id[14]).toBe("5");
    expect(messageHubId("carehub", "practice-a", "42cb9200-1111-2222-3333-444455556666")).toBe(id);
    expect(messageHubId("carehub", "practice-b", "42cb9200-1111-2222-3333-444455556666")).not.toBe(id);
    expect(messageHubId("other", "practice-a", "42cb9200-1111-2222-3333-444455556666")).not.toBe(id);
  });

  it("does not let endpoint and message id run into each other", () => {
    expect(messageHubId("ns", "a", "b\nc")).not.toBe(messageHubId("ns", "a\nb", "c"));
    expect(nameBasedUuid("x")).not.toBe(nameBasedUuid("y"));
    expect(nameBasedUuid("a", "b")).not.toBe(nameBasedUuid("ab"));
  });

  it("makes random version-7 ids that sort by time", () => {
    const early = randomHubId(1_700_000_000_000);
    const late = randomHubId(1_700_000_000_001);
    expect(early).toMatch(UUID);
    expect(early[14]).toBe("7");
    expect(early < late).toBe(true);
    expect(randomHubId(5)).not.toBe(randomHubId(5));
  });
});
