import { createManualClock } from "@carehub/client";
import { describe, expect, it } from "vitest";
import { createPacer } from "./pacer.ts";

describe("pacer", () => {
  it("offers items at the configured rate, in order", async () => {
    const clock = createManualClock(0);
    const sent: number[] = [];
    let n = 0;
    const pacer = createPacer({ rate: 10, clock, next: () => n++, send: async (item) => void sent.push(item) });
    pacer.start();
    expect(sent).toEqual([0]);
    clock.advance(999);
    expect(sent).toHaveLength(10);
    clock.advance(1);
    expect(sent).toHaveLength(11);
    clock.advance(9_000);
    expect(sent).toEqual(Array.from({ length: 101 }, (_, i) => i));
    await pacer.stop();
    clock.advance(10_000);
    expect(sent).toHaveLength(101);
  });

  it("reaches thousands per second with coarse ticks", async () => {
    const clock = createManualClock(0);
    let count = 0;
    // The manual clock fires timers synchronously, so completed sends free no slot in between: no cap here.
    const pacer = createPacer({
      rate: 5_000,
      clock,
      maxInFlight: Infinity,
      next: () => 0,
      send: async () => void count++,
    });
    pacer.start();
    clock.advance(2_000);
    expect(count).toBe(10_001);
    await pacer.stop();
  });

  it("falls behind instead of piling up sends when the receiver is slow", async () => {
    const clock = createManualClock(0);
    const releases: (() => void)[] = [];
    const pacer = createPacer({
      rate: 100,
      clock,
      maxInFlight: 3,
      next: () => 0,
      send: () => new Promise<void>((resolve) => releases.push(resolve)),
    });
    pacer.start();
    clock.advance(1_000);
    expect(pacer.taken()).toBe(3);
    expect(pacer.behind()).toBe(98);
    for (const release of releases) release();
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(10);
    expect(pacer.taken()).toBe(6);
    for (const release of releases) release();
    await pacer.stop();
  });

  it("stops at its limit", async () => {
    const clock = createManualClock(0);
    let count = 0;
    const pacer = createPacer({ rate: 100, clock, limit: 7, next: () => 0, send: async () => void count++ });
    pacer.start();
    clock.advance(60_000);
    expect(count).toBe(7);
    expect(clock.pendingTimers()).toBe(0);
    await pacer.stop();
  });
});
