import { describe, expect, it } from "vitest";
import { timeOrderedId } from "./time-ordered-id.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("timeOrderedId", () => {
  it("makes random version-7 ids that sort by time", () => {
    const early = timeOrderedId(1_700_000_000_000);
    const late = timeOrderedId(1_700_000_000_001);
    expect(early).toMatch(UUID);
    expect(early[14]).toBe("7");
    expect(early < late).toBe(true);
    expect(timeOrderedId(5)).not.toBe(timeOrderedId(5));
  });
});
