import type { LifecycleEvent } from "@carehub/schemas";
import { PermanentError, RetryableError } from "@carehub/schemas";
import { describe, expect, it } from "vitest";
import { EventBatcher } from "./event-batcher.ts";

const event = (n: number): LifecycleEvent =>
  ({ schemaVersion: 1, type: "received", hubId: `h-${n}`, eventId: `h-${n}:received` }) as unknown as LifecycleEvent;

function recorder(fail: (batch: readonly LifecycleEvent[]) => Error | undefined = () => undefined) {
  const batches: string[][] = [];
  const fold = async (batch: readonly LifecycleEvent[]) => {
    batches.push(batch.map((e) => e.hubId));
    const error = fail(batch);
    if (error !== undefined) throw error;
  };
  return { batches, fold };
}

describe("EventBatcher", () => {
  // Catches: a fold per event (no batching), or a batch that does not close at its limit.
  it("folds the events handed over in one turn together, at most maxBatch at a time", async () => {
    const { batches, fold } = recorder();
    const batcher = new EventBatcher(fold, 3);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.fold(event(n))));
    expect(batches).toEqual([
      ["h-1", "h-2", "h-3"],
      ["h-4", "h-5"],
    ]);
  });

  // Catches: an event reported done (and so acked) before its batch is written.
  it("settles an event only after its batch's write has finished", async () => {
    let release: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      release = resolve;
    });
    let settled = false;
    const batcher = new EventBatcher(() => written, 10);
    const pending = batcher.fold(event(1)).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await pending;
    expect(settled).toBe(true);
  });

  // Catches: one event that can never be folded dead-lettering the whole batch with it.
  it("folds a batch that failed permanently again event by event, failing only the event at fault", async () => {
    const bad = new PermanentError("CAREHUB_ERR_STORE_RECORD_CORRUPT", "record cannot be read");
    const { batches, fold } = recorder((batch) => (batch.some((e) => e.hubId === "h-2") ? bad : undefined));
    const batcher = new EventBatcher(fold, 10);
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => batcher.fold(event(n))));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(batches).toEqual([["h-1", "h-2", "h-3"], ["h-1"], ["h-2"], ["h-3"]]);
  });

  // Catches: a Redis outage answered by folding event by event (a storm of calls into a store that is down).
  it("fails every event of a batch that failed for a retryable reason, without folding them one by one", async () => {
    const down = new RetryableError("CAREHUB_ERR_STORE_UNAVAILABLE", "redis is down");
    const { batches, fold } = recorder(() => down);
    const batcher = new EventBatcher(fold, 10);
    const outcomes = await Promise.allSettled([1, 2].map((n) => batcher.fold(event(n))));
    expect(outcomes.map((o) => (o.status === "rejected" ? o.reason : undefined))).toEqual([down, down]);
    expect(batches).toEqual([["h-1", "h-2"]]);
  });
});
