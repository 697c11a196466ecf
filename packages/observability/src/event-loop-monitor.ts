import { metrics, onMetricsCollect } from "./metrics.ts";

/**
 * The one watcher of a process's main event loop (docs/decisions/0085-one-event-loop-monitor-one-test-profile.md):
 * one timer that ticks every EVENT_LOOP_TICK_MS and feeds everything that asks how the loop is doing —
 *
 * - the gateway's admission (services/gateway admission.ts) refuses while `lateMs()` exceeds
 *   CAREHUB_MAX_EVENT_LOOP_LAG_MS;
 * - the ops port's worker thread (services/hub ops-listener.cts) answers `/healthz` from `heartbeat`, the time of
 *   the last tick, and reports the loop stalled when it is too old;
 * - `/metrics` shows `carehub_event_loop_delay_seconds`, the highest `lateMs()` since the previous scrape.
 *
 * A tick's lateness is how long after its due time it ran. `lateMs()` is the least lateness of the last
 * SUSTAINED_TICKS ticks: a loop kept busy is late at every tick, one long task (a collection, a big message)
 * only at one, and is not worth refusing for. The timer runs while anything holds the monitor (`watchEventLoop`),
 * unref'd: it never keeps a process alive. It ticks every EVENT_LOOP_TICK_MS while a holder asked for that
 * resolution (the gateway's admission), else every HEARTBEAT_TICK_MS — enough for a liveness heartbeat, and a
 * third of the idle CPU (measured: docs/decisions/0085).
 */

/** How often the loop's lateness is sampled while a holder needs it precisely (`{ precise: true }`). */
export const EVENT_LOOP_TICK_MS = 20;
/** How often the loop ticks otherwise: the heartbeat's period. */
export const HEARTBEAT_TICK_MS = 100;
/** How many consecutive late ticks make the loop count as late. */
export const SUSTAINED_TICKS = 3;

export interface EventLoopMonitor {
  /** How late the loop runs, in ms: the least lateness of the last SUSTAINED_TICKS ticks. */
  lateMs(): number;
  /** How often the monitor ticks now: EVENT_LOOP_TICK_MS while a precise holder holds it, else HEARTBEAT_TICK_MS. */
  periodMs(): number;
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
let tickMs = 0;
let stopReporting: (() => void) | undefined;
let users = 0;
let preciseUsers = 0;

/** (Re)starts the timer at the period the holders need; the lateness seen so far is kept. */
function retime(): void {
  const wanted = preciseUsers > 0 ? EVENT_LOOP_TICK_MS : HEARTBEAT_TICK_MS;
  if (timer !== undefined && wanted === tickMs) return;
  clearInterval(timer);
  tickMs = wanted;
  let due = performance.now() + tickMs;
  timer = setInterval(() => {
    const now = performance.now();
    recent[next] = Math.max(0, now - due);
    next = (next + 1) % SUSTAINED_TICKS;
    late = Math.min(...recent);
    if (late > highestSinceScrape) highestSinceScrape = late;
    due = now + tickMs;
    Atomics.store(beat, 0, BigInt(Date.now()));
  }, tickMs);
  timer.unref();
}

function start(): void {
  recent.fill(0);
  late = 0;
  highestSinceScrape = 0;
  Atomics.store(beat, 0, BigInt(Date.now()));
  retime();
  stopReporting = onMetricsCollect(() => {
    metrics.eventLoopDelay.set(Math.max(highestSinceScrape, late) / 1000);
    highestSinceScrape = 0;
  });
}

function stop(): void {
  clearInterval(timer);
  timer = undefined;
  tickMs = 0;
  stopReporting?.();
  stopReporting = undefined;
  late = 0;
}

/**
 * Holds the process's event-loop monitor (starting its timer for the first user) until `release()`. `precise`:
 * this holder needs the lateness at EVENT_LOOP_TICK_MS resolution (the gateway refusing by it), so the monitor
 * ticks that often while it is held.
 */
export function watchEventLoop(options: { precise?: boolean } = {}): EventLoopMonitor {
  const precise = options.precise === true;
  users++;
  if (precise) preciseUsers++;
  if (users === 1) start();
  else if (precise) retime();
  let released = false;
  return {
    lateMs: () => late,
    periodMs: () => tickMs,
    heartbeat,
    release: () => {
      if (released) return;
      released = true;
      users--;
      if (precise) preciseUsers--;
      if (users === 0) stop();
      else if (precise) retime();
    },
  };
}
