import { randomUUID } from "node:crypto";
import type { LifecycleEvent } from "@carehub/schemas";
import { type RedisServerHandle, startRedisServer } from "@carehub/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, happyPath, labResult } from "./events.test-support.ts";
import { createStore, type ReadModelStore } from "./store.ts";

// The tracker folds the lifecycle events it has in hand as one batch (ReadModelStore.applyEvents): one MGET of
// the records it did not write last, one compare-and-set script call for all of them. A private Redis, so that
// its command counters belong to this file alone.

const T0 = Date.now() - 60 * 60_000;
let server: RedisServerHandle;
let redis: Redis;

function storeIn(namespace: string): ReadModelStore {
  return createStore({
    redis,
    namespace,
    retentionDays: 30,
    patientHashKey: "test-key-test-key-test-key",
    ackTimeoutMs: () => 60_000,
  });
}

const newNamespace = () => `t-batch-${randomUUID().slice(0, 8)}`;

/** The read model with the namespace taken out of the keys: two namespaces compare equal when their models do. */
async function model(store: ReadModelStore): Promise<Record<string, unknown>> {
  const dump = await store.dumpReadModel();
  return Object.fromEntries(
    Object.entries(dump).map(([key, value]) => [key.slice(store.keys.namespace.length), value]),
  );
}

async function oneByOne(events: readonly LifecycleEvent[]): Promise<Record<string, unknown>> {
  const store = storeIn(newNamespace());
  for (const e of events) await store.applyEvent(e);
  return model(store);
}

/** Calls per command since the last reset (INFO commandstats). */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
  return calls;
}

/** Messages' events interleaved as EVENTS would carry them when several messages are in flight. */
function interleaved(messages: number, prefix: string): LifecycleEvent[] {
  const lives = Array.from({ length: messages }, (_, i) =>
    happyPath(`${prefix}-${i}`, T0 + i, { receivers: i % 3 === 0 ? ["hosp-1", "lab-1"] : ["hosp-1"] }),
  );
  const out: LifecycleEvent[] = [];
  for (let step = 0; lives.some((life) => step < life.length); step++) {
    for (const life of lives) if (step < life.length) out.push(life[step] as LifecycleEvent);
  }
  return out;
}

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

describe("folding lifecycle events in batches", () => {
  // Catches: a batch written record by record (one script call and one read per message, the cost batching removes).
  it("writes a batch of 30 messages' events with one read and one script call", async () => {
    const store = storeIn(newNamespace());
    await store.applyEvents(happyPath("warm-up", T0)); // loads the script, so EVALSHA does not fall back to EVAL
    await redis.config("RESETSTAT");
    await store.applyEvents(interleaved(30, "b"));
    const calls = await commandCalls();
    expect({ mget: calls.mget, evalsha: calls.evalsha, eval: calls.eval, get: calls.get ?? 0 }).toEqual({
      mget: 1,
      evalsha: 1,
      eval: undefined,
      // The script's own GET of each record (commandstats counts commands run inside scripts too).
      get: 30,
    });
    expect((await store.getMessage("b-3"))?.status).toBe("acknowledged");
  });

  // Catches: a message's events folded into one record but only the last of them kept, or counters and indexes
  // planned from the wrong "before" when several events of one message share a batch.
  it("gives the read model one-by-one folding gives, counters, indexes and timers included, however batched", async () => {
    const events = [
      ...interleaved(12, "s"),
      event("delivery-failed", "s-1", T0 + 15, {
        messageId: "msg-s-1",
        sourceEndpoint: "gp-1",
        kind: "care-communication",
        endpoint: "hosp-1",
        attempt: 2,
        error: { code: "CAREHUB_ERR_DELIVERY_HTTP_5XX", message: "503 from endpoint" },
      }),
    ];
    const expected = await oneByOne(events);
    const store = storeIn(newNamespace());
    // Uneven batches, a message's events split across some of them.
    for (const [from, to] of [
      [0, 1],
      [1, 8],
      [8, 30],
      [30, events.length],
    ] as const) {
      await store.applyEvents(events.slice(from, to));
    }
    expect(await model(store)).toEqual(expected);
  });

  // Catches: a fold started from a kept state that is not what the record holds (a state remembered for the
  // wrong text, one a fold changed afterwards, receivers in another order than the record's): the store that
  // keeps the states it wrote would write another model than one that reads and decodes every record.
  it("writes the model a store that decodes every record writes, folding into the states it kept", async () => {
    const envelopes = Array.from({ length: 12 }, (_, i) => ({ envelope: labResult(`k-${i}`, T0 + i, ["NPU01807"]) }));
    const changes = [
      ...interleaved(12, "k").map((e) => ({ event: e })),
      ...envelopes,
      {
        event: event("delivery-failed", "k-3", T0 + 15, {
          messageId: "msg-k-3",
          sourceEndpoint: "gp-1",
          kind: "care-communication",
          endpoint: "lab-1",
          attempt: 2,
          error: { code: "CAREHUB_ERR_DELIVERY_HTTP_5XX", message: "503 from endpoint" },
        }),
      },
    ];
    // Receivers routed in the order that is not the record's sorted one.
    changes.splice(3, 0, {
      event: event("routed", "k-0", T0 + 9, {
        messageId: "msg-k-0",
        sourceEndpoint: "gp-1",
        kind: "care-communication",
        receivers: ["lab-1", "hosp-1", "gp-2"],
        ruleCopies: [],
      }),
    });
    const namespace = newNamespace();
    for (const change of changes) await storeIn(namespace).applyChanges([change]);
    const kept = storeIn(newNamespace());
    for (let from = 0; from < changes.length; from += 5) await kept.applyChanges(changes.slice(from, from + 5));
    for (const change of changes) await kept.applyChanges([change]);
    expect(await model(kept)).toEqual(await model(storeIn(namespace)));
  });

  // Catches: counters moved again when a batch is redelivered after a crash (before its ack), by this tracker or a
  // fresh one that remembers nothing.
  it("changes nothing when a batch comes again, to the same store or to a new one", async () => {
    const namespace = newNamespace();
    const events = interleaved(10, "r");
    const store = storeIn(namespace);
    await store.applyEvents(events);
    const once = await model(store);
    await store.applyEvents(events);
    await storeIn(namespace).applyEvents([...events].reverse());
    expect(await model(store)).toEqual(once);
    expect(once).toEqual(await oneByOne(events));
  });

  // Catches: a record whose compare-and-set lost (another tracker copy wrote it since this store's last write)
  // dropped from the batch, or its counters applied although its record was not written.
  it("folds a record another tracker copy changed meanwhile again, losing and doubling nothing", async () => {
    const namespace = newNamespace();
    const [m1, m2] = [happyPath("c-1", T0), happyPath("c-2", T0 + 1)] as [LifecycleEvent[], LifecycleEvent[]];
    const mine = storeIn(namespace);
    const other = storeIn(namespace);
    await mine.applyEvents([...m1.slice(0, 2), ...m2.slice(0, 2)]);
    await other.applyEvent(m1[2] as LifecycleEvent); // c-1 is no longer what `mine` wrote last
    await mine.applyEvents([m1[3] as LifecycleEvent, m2[2] as LifecycleEvent, m2[3] as LifecycleEvent]);
    expect((await mine.getMessage("c-1"))?.status).toBe("acknowledged");
    expect(await model(mine)).toEqual(await oneByOne([...m1, ...m2]));
  });
});

describe("an envelope's write", () => {
  const lab = (hubId: string) => labResult(hubId, T0, ["NPU01807"]);

  // Catches: the read before an envelope's first write coming back (one more round trip per message).
  it("writes a new message's record with one script call and no read", async () => {
    const store = storeIn(newNamespace());
    await store.applyEvents(happyPath("warm-up", T0)); // loads the script, so EVALSHA does not fall back to EVAL
    await redis.config("RESETSTAT");
    await store.applyEnvelope(lab("e-1"));
    const calls = await commandCalls();
    // The one GET is the script's own (commandstats counts commands run inside scripts too).
    expect({ evalsha: calls.evalsha, get: calls.get ?? 0, mget: calls.mget ?? 0 }).toEqual({
      evalsha: 1,
      get: 1,
      mget: 0,
    });
    expect((await store.getMessage("e-1"))?.messageId).toBe("msg-e-1");
  });

  // Catches: a record another tracker copy created overwritten by the envelope's "new record" (its events
  // lost), or the analyses counted twice when the envelope comes again to a store that remembers nothing.
  it("folds into a record another copy wrote first, and counts the analyses once", async () => {
    const namespace = newNamespace();
    // No `received` event: a routed message has none, and its envelope is what first records its analyses.
    const [, routed, delivered] = happyPath("e-2", T0, { receivers: ["hosp-1"] });
    const events = [routed, delivered] as LifecycleEvent[];
    await storeIn(namespace).applyEvents(events);
    const mine = storeIn(namespace);
    await mine.applyEnvelope(lab("e-2"));
    await storeIn(namespace).applyEnvelope(lab("e-2"));
    const expected = storeIn(newNamespace());
    await expected.applyEvents(events);
    await expected.applyEnvelope(lab("e-2"));
    expect(await model(mine)).toEqual(await model(expected));
    const record = await mine.getMessage("e-2");
    expect(record?.messageId).toBe("msg-e-2");
    expect(record?.perReceiver[0]?.status).toBe("delivered");
    const day = new Date(T0).toISOString().slice(0, 10);
    const stats = await mine.periodStats({ from: day, to: day, period: "day" });
    expect(stats.analyses.map((a) => [a.code, a.count])).toEqual([["NPU01807", 1]]);
  });

  // Catches: an envelope folded in a batch that loses what events of the same batch add (or the reverse), its
  // analyses counted again when it comes a second time, or its record read first although it is new.
  it("folds an envelope with the events in hand: one script call, the model one-by-one folding gives", async () => {
    const [, routed, delivered, acknowledged] = happyPath("e-3", T0, { receivers: ["hosp-1"] });
    const others = happyPath("e-4", T0 + 5);
    const store = storeIn(newNamespace());
    await store.applyEvents(happyPath("warm-up", T0)); // loads the script, so EVALSHA does not fall back to EVAL
    await redis.config("RESETSTAT");
    await store.applyChanges([
      { event: routed as LifecycleEvent },
      { envelope: lab("e-3") },
      { event: delivered as LifecycleEvent },
    ]);
    const calls = await commandCalls();
    expect({ evalsha: calls.evalsha, mget: calls.mget ?? 0 }).toEqual({ evalsha: 1, mget: 0 });
    // Again, with its next event and another message's: the envelope adds nothing a second time.
    await store.applyChanges([
      { envelope: lab("e-3") },
      { event: acknowledged as LifecycleEvent },
      ...others.map((event) => ({ event })),
    ]);
    const oneByOne = storeIn(newNamespace());
    await oneByOne.applyEvents(happyPath("warm-up", T0));
    await oneByOne.applyEnvelope(lab("e-3"));
    for (const event of [routed, delivered, acknowledged, ...others] as LifecycleEvent[]) {
      await oneByOne.applyEvent(event);
    }
    expect(await model(store)).toEqual(await model(oneByOne));
    const day = new Date(T0).toISOString().slice(0, 10);
    const stats = await store.periodStats({ from: day, to: day, period: "day" });
    expect(stats.analyses.map((a) => [a.code, a.count])).toEqual([["NPU01807", 1]]);
  });
});
