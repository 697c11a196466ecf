import { afterEach, describe, expect, it } from "vitest";
import { EVENT_LOOP_TICK_MS, type EventLoopMonitor, HEARTBEAT_TICK_MS, watchEventLoop } from "./event-loop-monitor.ts";
import { metricValue } from "./metrics.ts";

/**
 * The process's one event-loop monitor: a loop kept busy reads as late (and shows on /metrics), one long task
 * does not; it ticks finely only while a holder needs it; the heartbeat advances while the loop turns and stops
 * when the last user lets go.
 */

/** Keeps this thread's event loop from turning for `ms`. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const turn = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
const heartbeatOf = (monitor: EventLoopMonitor) => Number(Atomics.load(new BigInt64Array(monitor.heartbeat), 0));

/** Polls `condition` every tick until it holds or `timeoutMs` passes. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await turn(5);
  return condition();
}

describe("the event-loop monitor", () => {
  const held: EventLoopMonitor[] = [];
  const watch = (options: { precise?: boolean } = {}) => {
    const monitor = watchEventLoop(options);
    held.push(monitor);
    return monitor;
  };
  afterEach(() => {
    for (const monitor of held.splice(0)) monitor.release();
  });

  it("reads a loop kept busy at every tick as late, and says so on /metrics", async () => {
    const monitor = watch({ precise: true });
    await metricValue("carehub_event_loop_delay_seconds", {}); // a scrape: the gauge covers what follows
    // Busy for 100 ms at a time, turning in between: every tick runs about 100 ms late.
    for (let i = 0; i < 8; i++) {
      block(100);
      await turn();
    }
    expect(monitor.lateMs()).toBeGreaterThan(50);
    expect(await metricValue("carehub_event_loop_delay_seconds", {})).toBeGreaterThan(0.05);
  });

  it("does not read one long task as late: the least of three ticks counts", async () => {
    const monitor = watch({ precise: true });
    // A few quiet ticks first, so the ticks before the long task are on time.
    await turn(5 * EVENT_LOOP_TICK_MS);
    block(300);
    // The tick after the task is 300 ms late; the loop then turns freely.
    await turn(EVENT_LOOP_TICK_MS + 5);
    expect(monitor.lateMs()).toBeLessThan(100);
  });

  it("ticks every 20 ms while a precise holder holds it, else every 100 ms", () => {
    const heartbeatOnly = watch();
    expect(heartbeatOnly.periodMs()).toBe(HEARTBEAT_TICK_MS);
    const precise = watch({ precise: true });
    expect(heartbeatOnly.periodMs()).toBe(EVENT_LOOP_TICK_MS);
    precise.release();
    expect(heartbeatOnly.periodMs()).toBe(HEARTBEAT_TICK_MS);
  });

  it("advances the heartbeat while the loop turns, and stops it when the last user releases the monitor", async () => {
    const first = watch();
    const second = watch();
    const start = heartbeatOf(first);
    expect(await until(() => heartbeatOf(first) > start)).toBe(true);
    first.release();
    // Another user still holds it: it still beats.
    const afterFirst = heartbeatOf(second);
    expect(await until(() => heartbeatOf(second) > afterFirst)).toBe(true);
    second.release();
    const stopped = heartbeatOf(second);
    await turn(3 * HEARTBEAT_TICK_MS);
    expect(heartbeatOf(second)).toBe(stopped);
  });
});
