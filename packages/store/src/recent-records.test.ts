import { describe, expect, it } from "vitest";
import { RecentRecords } from "./recent-records.ts";

describe("the state remembered with a record", () => {
  // Catches: the state of what this store wrote handed out for another text (what Redis held when read after
  // another copy's write): the fold would start from the store's own stale state and undo the other's write.
  it("is given only for the very text it was written as, and goes with the next write or a forget", () => {
    const recent = new RecentRecords<{ n: number }>(4);
    const state = { n: 1 };
    recent.remember("k", "one", state);
    expect(recent.stateOf("k", "one")).toBe(state);
    expect(recent.stateOf("k", "two")).toBeUndefined();
    recent.remember("k", "two");
    expect(recent.get("k")).toBe("two");
    expect(recent.stateOf("k", "two")).toBeUndefined();
    recent.remember("k", "three", { n: 3 });
    recent.forget("k");
    expect(recent.stateOf("k", "three")).toBeUndefined();
  });
});
