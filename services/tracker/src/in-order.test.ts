import { describe, expect, it } from "vitest";
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
    const a = order.run(async () => {
      started.push("a");
      await first.promise;
      started.push("a done");
    });
    const b = order.run(async () => {
      started.push("b");
    });
    // Let every microtask and a turn of the event loop pass: b must still wait for a.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["a"]);
    first.open();
    await Promise.all([a, b]);
    expect(started).toEqual(["a", "a done", "b"]);
  });

  // Catches: one failed fold (Redis away, retried by redelivery) stopping every later envelope for good.
  it("passes a task's failure to its caller alone and goes on with the next", async () => {
    const order = new InOrder();
    const first = gate();
    const a = order.run(() => first.promise);
    const b = order.run(async () => "b ran");
    first.fail(new Error("redis away"));
    await expect(a).rejects.toThrow("redis away");
    await expect(b).resolves.toBe("b ran");
  });
});
