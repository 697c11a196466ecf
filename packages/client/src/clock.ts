/**
 * Time as the SDK sees it. Injected so that resend policies can be tested without waiting 30 minutes
 * (see createManualClock) and so that ids and timestamps in tests are reproducible.
 */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

export const systemClock: Clock = (() => {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimer(callback, delayMs) {
      const id = next++;
      const timer = setTimeout(() => {
        timers.delete(id);
        callback();
      }, delayMs);
      // A pending resend must not keep a process alive on its own.
      timer.unref();
      timers.set(id, timer);
      return { id };
    },
    clearTimer(handle) {
      const timer = timers.get(handle.id);
      if (timer !== undefined) clearTimeout(timer);
      timers.delete(handle.id);
    },
  };
})();

/** A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  pendingTimers(): number;
}

export function createManualClock(startMs = 0): ManualClock {
  let now = startMs;
  let next = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimer(callback, delayMs) {
      const id = next++;
      timers.set(id, { at: now + Math.max(0, delayMs), callback });
      return { id };
    },
    clearTimer(handle) {
      timers.delete(handle.id);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let dueId: number | undefined;
        let dueAt = Number.POSITIVE_INFINITY;
        for (const [id, timer] of timers) {
          if (timer.at <= target && (timer.at < dueAt || (timer.at === dueAt && dueId !== undefined && id < dueId))) {
            dueId = id;
            dueAt = timer.at;
          }
        }
        if (dueId === undefined) break;
        const timer = timers.get(dueId);
        timers.delete(dueId);
        now = dueAt;
        timer?.callback();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
