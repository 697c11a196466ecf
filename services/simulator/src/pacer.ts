import type { Clock, TimerHandle } from "@carehub/client";

export interface PacerOptions<T> {
  /** Items per second. */
  rate: number;
  clock: Clock;
  /** The next item to send, in order. */
  next: () => T;
  send: (item: T) => Promise<void>;
  /** At most this many sends at once; when all are busy the pacer falls behind instead of piling up. */
  maxInFlight?: number;
  /** How often the pacer wakes up, in ms; default from the rate, between 5 and 100 ms. */
  tickMs?: number;
  /** Stop after this many items (the plan's end, or a test's bound). */
  limit?: number;
}

export interface Pacer {
  start(): void;
  /** Stops taking items and waits for the sends in flight. */
  stop(): Promise<void>;
  /** Items taken so far. */
  taken(): number;
  /** How many items the pacer is behind the offered rate because every send slot was busy. */
  behind(): number;
}

/**
 * Offers items at a steady rate, from a trickle to thousands per second: on every tick it takes as many
 * items as the rate says are due by now (so a late tick catches up), keeps at most `maxInFlight` sends
 * going, and takes items strictly in order.
 */
export function createPacer<T>(options: PacerOptions<T>): Pacer {
  const { clock, rate } = options;
  const maxInFlight = options.maxInFlight ?? 256;
  const tickMs = options.tickMs ?? Math.min(100, Math.max(5, Math.floor(1000 / rate)));
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const inFlight = new Set<Promise<void>>();
  let startedAt = 0;
  let taken = 0;
  let behind = 0;
  let timer: TimerHandle | undefined;
  let running = false;

  function tick() {
    timer = undefined;
    if (!running) return;
    // Item k is due at k / rate seconds after the start (item 0 at once).
    const due = Math.min(limit, Math.floor(((clock.now() - startedAt) * rate) / 1000) + 1);
    while (taken < due && inFlight.size < maxInFlight) {
      const item = options.next();
      taken += 1;
      const sending: Promise<void> = options.send(item).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    behind = Math.max(0, due - taken);
    if (taken >= limit) {
      running = false;
      return;
    }
    timer = clock.setTimer(tick, tickMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      startedAt = clock.now();
      tick();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      await Promise.allSettled([...inFlight]);
    },
    taken: () => taken,
    behind: () => behind,
  };
}
