import { metrics, onMetricsCollect } from "./metrics.ts";

/**
 * The one watcher of a process's main event loop (docs/decisions/0085-one-event-loop-monitor-one-test-profile.md):
 * one timer that ticks every EVENT_LOOP_TICK_MS and feeds everything that asks how the loop is doing —
 *
 * - the gateway's admission (services/gateway admission.ts) refuses while `lateMs()` exceeds
 *   CAREHUB_MAX_EVENT_LOOP_LAG_MS;
 * - the ops port's worker thread (services/hub ops-listener.ts) answers `/healthz` from `heartbeat`, the time of
 *   the last tick, and reports the loop stalled when it is too old;
 * - `/metrics` shows `carehub_event_loop_delay_seconds`, the highest `lateMs()` since the previous scrape.
 *
 * A tick's lateness is how long after its due time it ran. `lateMs()` is the least lateness of the last
 * SUSTAINED_TICKS ticks: a loop kept busy is late at every tick, one long task (a collection, a big message)
 * only at one, and is not worth refusing for. The timer runs while anything holds the monitor (`watchEventLoop`),
 * unref'd: it never keeps a process alive.
 */

/** How often the loop's lateness is sampled and the heartbeat written. */
export const EVENT_LOOP_TICK_MS = 20;
/** How many consecutive late ticks make the loop count as late. */
export const SUSTAINED_TICKS = 3;

export interface EventLoopMonitor {
  /** How late the loop runs, in ms: the least lateness of the last SUSTAINED_TICKS ticks. */
  lateMs(): number;
  /**
   * One BigInt64 slot holding the time (ms since the epoch) of the last tick, written with `Atomics.store`: a
   * worker thread reads it to tell whether the main loop still turns.
   */
  readonly heartbeat: SharedArrayBuffer;
  /** This user no longer needs the monitor; the timer stops when none does. Idempotent. */
  release(): void;
}

const heartbeat = new SharedArrayBuffer(8);
const beat = new BigInt64Array(heartbeat);
const recent = new Array<number>(SUSTAINED_TICKS).fill(0);
let next = 0;
let late = 0;
let highestSinceScrape = 0;
let timer: NodeJS.Timeout | undefined;
let stopReporting: (() => void) | undefined;
let users = 0;

function start(): void {
  recent.fill(0);
  late = 0;
  highestSinceScrape = 0;
  Atomics.store(beat, 0, BigInt(Date.now()));
  let due = performance.now() + EVENT_LOOP_TICK_MS;
  timer = setInterval(() => {
    const now = performance.now();
    recent[next] = Math.max(0, now - due);
    next = (next + 1) % SUSTAINED_TICKS;
    late = Math.min(...recent);
    if (late > highestSinceScrape) highestSinceScrape = late;
    due = now + EVENT_LOOP_TICK_MS;
    Atomics.store(beat, 0, BigInt(Date.now()));
  }, EVENT_LOOP_TICK_MS);
  timer.unref();
  stopReporting = onMetricsCollect(() => {
    metrics.eventLoopDelay.set(Math.max(highestSinceScrape, late) / 1000);
    highestSinceScrape = 0;
  });
}

function stop(): void {
  clearInterval(timer);
  timer = undefined;
  stopReporting?.();
  stopReporting = undefined;
  late = 0;
}

/** Holds the process's event-loop monitor (starting its timer for the first user) until `release()`. */
export function watchEventLoop(): EventLoopMonitor {
  users++;
  if (users === 1) start();
  let released = false;
  return {
    lateMs: () => late,
    heartbeat,
    release: () => {
      if (released) return;
      released = true;
      users--;
      if (users === 0) stop();
    },
  };
}
