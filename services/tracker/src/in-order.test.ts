import { describe, expect, it, vi } from "vitest";
import { InOrder } from "./in-order.ts";

function gate(): { promise: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe("InOrder", () => {
  // Catches: business envelopes folded side by side once PIPELINE has many in hand (0113): a later one's fold
  // starting before an earlier, slower one has finished.
  it("starts a task only after every task handed over before it has settled", async () => {
    const order = new InOrder();
    const started: string[] = [];
    const first = gate();
    const a = order.run("REF-1", async () => {
      started.push("a");
      await first.promise;
      started.push("a done");
    });
    const b = order.run("REF-1", async () => {
      started.push("b");
    });
    // Let every microtask and a turn of the event loop pass: b must still wait for a.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["a"]);
    first.open();
    await Promise.all([a, b]);
    expect(started).toEqual(["a", "a done", "b"]);
  });

  // Catches: one queue for every envelope with business facts (a slow referral holding up every other referral's
  // folds: in a backlog with 1 in 10 envelopes a referral or status update, the status consumer was then slower
  // than with one envelope at a time), and a queue kept per key for ever.
  it("runs the tasks of other keys side by side, and forgets a key once its tasks are done", async () => {
    const order = new InOrder();
    const first = gate();
    const a = order.run("REF-1", () => first.promise);
    let otherRan = false;
    const b = order.run("REF-2", async () => {
      otherRan = true;
    });
    await b;
    await new Promise((resolve) => setImmediate(resolve));
    expect(otherRan).toBe(true);
    expect(order.keys).toBe(1);
    first.open();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order.keys).toBe(0);
  });

  // Catches: one failed fold (Redis away, retried by redelivery) stopping every later envelope for good.
  it("passes a task's failure to its caller alone and goes on with the next", async () => {
    const order = new InOrder();
    const first = gate();
    const a = order.run("REF-1", () => first.promise);
    const b = order.run("REF-1", async () => "b ran");
    first.fail(new Error("redis away"));
    await expect(a).rejects.toThrow("redis away");
    await expect(b).resolves.toBe("b ran");
  });

  // Catches (review of 0113): a task naming several keys waiting only for the first (a task joining a package
  // course overtaking the package referral's forward queued under the package referral's key), or a task of
  // several keys not held up by, or not holding up, the later tasks of each.
  it("waits for the tasks before it under every key it names, and holds up the later tasks of each", async () => {
    const order = new InOrder();
    const started: string[] = [];
    const pkg = gate();
    const own = gate();
    const a = order.run("referral:PKG", async () => {
      started.push("pkg");
      await pkg.promise;
    });
    const b = order.run("task:T", async () => {
      started.push("own");
      await own.promise;
    });
    const join = gate();
    const joining = order.run(["task:T", "referral:PKG"], async () => {
      started.push("join");
      await join.promise;
    });
    const afterPkg = order.run("referral:PKG", async () => {
      started.push("after pkg");
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["pkg", "own"]);
    own.open();
    await b;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["pkg", "own"]);
    pkg.open();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["pkg", "own", "join"]);
    join.open();
    await Promise.all([joining, afterPkg]);
    expect(started).toEqual(["pkg", "own", "join", "after pkg"]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order.keys).toBe(0);
  });

  // Catches: a waiting envelope never telling the server it is still in hand (redelivered while it waits, folded
  // twice side by side), or told so while it runs or after it is done.
  it("tells a task's waiting while it waits, and stops once it runs", async () => {
    vi.useFakeTimers();
    try {
      const order = new InOrder();
      const first = gate();
      const a = order.run("REF-1", () => first.promise);
      let notices = 0;
      let noticesWhenStarted = -1;
      const b = order.run(
        "REF-1",
        async () => {
          noticesWhenStarted = notices;
        },
        { everyMs: 1_000, notify: () => notices++ },
      );
      vi.advanceTimersByTime(2_500);
      expect(notices).toBe(2);
      first.open();
      await Promise.all([a, b]);
      expect(noticesWhenStarted).toBe(2);
      vi.advanceTimersByTime(5_000);
      expect(notices).toBe(2);
      // A task with nothing before it is never told to wait.
      let alone = 0;
      await order.run("REF-2", async () => vi.advanceTimersByTime(5_000), { everyMs: 1_000, notify: () => alone++ });
      expect(alone).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
