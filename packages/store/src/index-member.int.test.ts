import { randomUUID } from "node:crypto";
import { sharedRedisUrl } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEveryPage, scratchStore, toFormerLayout } from "./bucketed-index.test-support.ts";
import { indexEntries } from "./bucketed-index.ts";
import { event, happyPath } from "./events.test-support.ts";
import { hubIdOfMember, indexMember } from "./index-member.ts";
import { nextBatchOfUnion } from "./message-query.ts";
import { createStore, type ReadModelStore } from "./store.ts";

/*
 * Index members in the compact form (docs/decisions/0064): the hub's own hub ids are UUIDs, kept in every index
 * as 22 characters; listings, patient lookups and the sweeper hand back the hub ids, and an index entry written
 * before the change (the UUID itself) still reads until a rebuild rewrites it.
 */

const T0 = Date.now() - 60 * 60_000;
const stores: ReadModelStore[] = [];
let redis: Redis;

function newStore(now?: () => number): ReadModelStore {
  return scratchStore(redis, "t-member", stores, now);
}

beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  for (const store of stores) await store.dropReadModel();
  await redis.quit();
});

describe("index members", () => {
  // Catches: a member that does not decode back to the same hub id (a listing naming a message that does not
  // exist), or a non-UUID id squeezed into the compact form.
  it("keeps a UUID hub id in 22 characters and gives it back; any other id is its own member", () => {
    for (let i = 0; i < 200; i++) {
      const hubId = randomUUID();
      const member = indexMember(hubId);
      expect(member).toHaveLength(22);
      expect(hubIdOfMember(member)).toBe(hubId);
    }
    const others = ["h-1", "A1B2C3D4-0000-4000-8000-000000000000", "not-a-uuid-at-all-22ch", "~h-1", "~~", ""];
    for (const id of others) expect(hubIdOfMember(indexMember(id))).toBe(id);
    expect(indexMember("h-1")).toBe("h-1");
    // An older release's member is the hub id itself.
    const hubId = randomUUID();
    expect(hubIdOfMember(hubId)).toBe(hubId);
  });

  // Catches: a reader handing the member itself to a record lookup (every listing empty), a status change that
  // removes the UUID form while the compact one stays (a stale entry in the old status), cursors that skip or
  // repeat messages sharing a receive time.
  it("lists, pages, moves between statuses and sweeps messages by their compact members", async () => {
    let now = T0 + 60_000;
    const store = newStore(() => now);
    const ids = Array.from({ length: 12 }, () => randomUUID());
    // Pairs of messages share a receive time: the cursor's tie-break is the member.
    for (const [i, hubId] of ids.entries()) {
      await store.applyEvents(happyPath(hubId, T0 + Math.floor(i / 2), { acknowledge: false }));
    }
    const members = (await Promise.all(store.keys.everyMessage.map((key) => indexEntries(redis, key))))
      .flat()
      .map((p) => p.member);
    expect(members).toHaveLength(12);
    expect(members.every((m) => m.length === 22)).toBe(true);

    const listed = await listEveryPage(store, {}, 5);
    expect([...listed].sort()).toEqual([...ids].sort());
    expect(new Set(listed).size).toBe(12);

    const first = ids[0] as string;
    await store.applyEvent(event("acknowledged", first, T0 + 500, { endpoint: "hosp-1", code: "ok", ackHubId: "a-1" }));
    const delivered = await store.listMessages({ status: "delivered", limit: 50 });
    expect(delivered.items.map((m) => m.hubId)).not.toContain(first);
    expect((await store.listMessages({ status: "acknowledged", limit: 50 })).items.map((m) => m.hubId)).toEqual([
      first,
    ]);

    now = T0 + 31 * 86_400_000;
    expect(await store.sweepExpired()).toBe(12);
    for (const key of store.keys.everyMessage) expect(await indexEntries(redis, key)).toEqual([]);
    expect((await store.listMessages({ limit: 50 })).items).toEqual([]);
  });

  // Catches: an upgrade that cannot read an index written by an older release (the UUID as the member) before
  // `carehub rebuild` rewrites it, or a sweeper that never removes such an entry.
  it("still reads and sweeps an index entry in the form of an older release", async () => {
    let now = T0 + 60_000;
    const store = newStore(() => now);
    const hubId = randomUUID();
    await store.applyEvents(happyPath(hubId, T0, { acknowledge: false }));
    const delivered = store.keys.byStatus("delivered");
    await toFormerLayout(redis, delivered);
    const score = Number(await redis.zscore(delivered, indexMember(hubId)));
    await redis.zrem(delivered, indexMember(hubId));
    await redis.zadd(delivered, score, hubId);
    expect((await store.listMessages({ limit: 50 })).items.map((m) => m.hubId)).toEqual([hubId]);
    now = T0 + 31 * 86_400_000;
    await store.sweepExpired();
    await store.sweepExpired(); // the second pass finds the record gone and drops the entry of the older form
    expect(await redis.zcard(delivered)).toBe(0);
  });

  // Catches: an upgrade that leaves the entries of an older release's index of every message behind for good
  // (the sweep reading only the status indexes), or a deletion that forgets them; a listing that names a
  // message twice (once per index); a record gone before its entries that leaves them in the status index.
  it("writes no index of every message, and sweeps an older release's entry in it with the record", async () => {
    let now = T0 + 60_000;
    const store = newStore(() => now);
    const [old, fresh, expired] = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, hubId] of [old, fresh, expired].entries()) {
      await store.applyEvents(happyPath(hubId, T0 + i, { acknowledge: false }));
    }
    expect(await redis.exists(store.keys.allBefore0080)).toBe(0);
    // As a release before 0080 wrote them.
    await redis.zadd(store.keys.allBefore0080, T0, indexMember(old), T0 + 2, indexMember(expired));
    expect((await store.listMessages({ limit: 50 })).items.map((m) => m.hubId)).toEqual([expired, fresh, old]);
    await redis.del(store.keys.message(expired)); // its record expired before the sweep came by
    now = T0 + 31 * 86_400_000;
    const sweeper = createStore({
      redis,
      namespace: store.keys.namespace,
      retentionDays: 30,
      patientHashKey: "test-key-test-key-test-key",
      now: () => now,
    });
    expect(await sweeper.sweepExpired()).toBe(2);
    expect(await redis.exists(store.keys.message(old))).toBe(0);
    expect(await redis.zcard(store.keys.allBefore0080)).toBe(0);
    for (const key of store.keys.everyMessage) expect(await indexEntries(redis, key)).toEqual([]);
  });

  // Catches: a union that hands on more than each index's first batch guarantees (the merge not cut), which skips
  // the messages of one status lying between two batches of another; a merge out of listing order.
  it("lists every message once, newest first, across status indexes larger than a batch", async () => {
    const store = newStore();
    const ids = Array.from({ length: 150 }, () => randomUUID());
    // Half of them acknowledged, the others only delivered: two status indexes interleaved in time.
    const events = ids.flatMap((hubId, i) => happyPath(hubId, T0 + i, { acknowledge: i % 2 === 0 }));
    await store.applyEvents(events);
    expect(await listEveryPage(store, {}, 40)).toEqual([...ids].reverse());
  });

  // Catches: a union batch that hands on more than the first `count` of the merge (one index's older entries
  // before another's newer ones not yet read), or one out of listing order.
  it("reads the union of indexes in listing order, cut to the batch", async () => {
    const [older, newer] = [`t-union-${randomUUID()}:a`, `t-union-${randomUUID()}:b`];
    for (let i = 1; i <= 100; i++) {
      await redis.zadd(older, i, `a${i}`);
      await redis.zadd(newer, 100 + i, `b${i}`);
    }
    await redis.zadd(older, 200, "a-tie");
    try {
      const batch = await nextBatchOfUnion(redis, [older, newer], undefined, Infinity, -Infinity, 3);
      expect(batch).toEqual([
        { score: 200, member: "b100" },
        { score: 200, member: "a-tie" },
        { score: 199, member: "b99" },
      ]);
      const next = await nextBatchOfUnion(redis, [older, newer], batch[2], Infinity, -Infinity, 2);
      expect(next.map((p) => p.member)).toEqual(["b98", "b97"]);
    } finally {
      await redis.del(older, newer);
    }
  });
});
