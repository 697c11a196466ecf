import { describe, expect, it } from "vitest";
import { createMemorySeenStore, type SeenRecord, seenKey } from "./seen-store.ts";

const record = (ackMessageId: string): SeenRecord => ({ ackMessageId, code: "ok", issues: [], firstSeenAt: "t" });

describe("memory seen-store", () => {
  it("keys by sender and message id together", () => {
    const store = createMemorySeenStore();
    store.set(seenKey("gln:1", "m"), record("a"));
    expect(store.get(seenKey("gln:1", "m"))?.ackMessageId).toBe("a");
    expect(store.get(seenKey("gln:2", "m"))).toBeUndefined();
  });

  it("forgets the least recently used entry past its size", () => {
    const store = createMemorySeenStore({ maxEntries: 2 });
    store.set("a", record("1"));
    store.set("b", record("2"));
    store.get("a");
    store.set("c", record("3"));
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")?.ackMessageId).toBe("1");
    expect(store.get("c")?.ackMessageId).toBe("3");
    expect(store.size()).toBe(2);
  });
});
