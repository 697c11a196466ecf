import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { happyPath } from "./events.test-support.ts";
import { createStore, type ReadModelStore } from "./store.ts";

// The store expects what it wrote last instead of reading a record before each compare-and-set
// (recent-records.ts). These tests change the record behind its back and check it never trusts that memory.

const T0 = Date.now() - 60 * 60_000;
const stores: ReadModelStore[] = [];
let redis: Redis;

function storeCopy(namespace: string): ReadModelStore {
  const store = createStore({ redis, namespace, retentionDays: 30, patientHashKey: "test-key-test-key-test-key" });
  stores.push(store);
  return store;
}

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const store of stores) await store.dropReadModel();
  await redis.quit();
});

describe("records the store wrote last", () => {
  // Catches: "nothing to write" decided from memory — a record that expired or was deleted stays lost on replay.
  it("writes a record again when it vanished behind the store's back, though memory says nothing changed", async () => {
    const store = storeCopy(`t-recent-${randomUUID().slice(0, 8)}`);
    const events = happyPath("r-1", T0);
    for (const e of events) await store.applyEvent(e);
    const before = await store.getMessage("r-1");
    await redis.del(store.keys.message("r-1"));
    for (const e of events) await store.applyEvent(e);
    expect(await store.getMessage("r-1")).toEqual(before);
  });

  // Catches: a failed compare-and-set that keeps the stale memory (it would fail forever) or applies the write
  // computed from it (the other copy's delivery lost, counters counted twice).
  it("folds what another copy wrote meanwhile, counting every index and counter once", async () => {
    const namespace = `t-recent-${randomUUID().slice(0, 8)}`;
    const copyA = storeCopy(namespace);
    const copyB = storeCopy(namespace);
    const [received, routed, delivered, acknowledged] = happyPath("r-2", T0, { receivers: ["hosp-1"] });
    if (received === undefined || routed === undefined || delivered === undefined || acknowledged === undefined) {
      throw new Error("happyPath changed shape");
    }
    await copyA.applyEvent(received);
    await copyA.applyEvent(routed);
    await copyB.applyEvent(delivered);
    await copyA.applyEvent(acknowledged);
    const record = await copyB.getMessage("r-2");
    expect(record?.status).toBe("acknowledged");
    expect(record?.perReceiver).toMatchObject([{ endpoint: "hosp-1", status: "acknowledged", ackCode: "ok" }]);
    expect(record?.perReceiver[0]?.deliveredAt).toBeDefined();
    const { items } = await copyA.statusCounts();
    expect(items.map((r) => [r.role, r.status, r.count])).toEqual(
      expect.arrayContaining([
        ["sender", "acknowledged", 1],
        ["receiver", "acknowledged", 1],
      ]),
    );
    expect(items.every((r) => r.count === 1)).toBe(true);
  });
});
