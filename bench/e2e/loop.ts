/**
 * What stalls a process's event loop over the measured load: the loop's delay (monitorEventLoopDelay, 1 ms
 * resolution) and its garbage collections (PerformanceObserver 'gc'), by kind. A message whose stage waits behind a
 * stalled loop is late by the stall, so the tail of the latency at a fixed rate is read beside these figures.
 */
import { monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

export interface LoopFigures {
  /** Event-loop delay (ms): the 99th percentile and the longest. */
  delayP99Ms: number;
  delayMaxMs: number;
  /** Garbage collections: count and longest pause (ms) of the scavenges and of the mark-compacts. */
  scavenges: number;
  scavengeMaxMs: number;
  markCompacts: number;
  markCompactMaxMs: number;
  /** All collections' pauses together (ms). */
  gcTotalMs: number;
}

// node:perf_hooks' constants.NODE_PERFORMANCE_GC_*: 1 minor (scavenge), 4 major (mark-compact), 8 incremental, 16 weak callbacks.
const MINOR = 1;
const MAJOR = 4;

export interface LoopMonitor {
  stop(): LoopFigures;
}

export function monitorLoop(): LoopMonitor {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const gc = { scavenges: 0, scavengeMaxMs: 0, markCompacts: 0, markCompactMaxMs: 0, totalMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      gc.totalMs += entry.duration;
      if (kind === MINOR) {
        gc.scavenges++;
        gc.scavengeMaxMs = Math.max(gc.scavengeMaxMs, entry.duration);
      } else if (kind === MAJOR) {
        gc.markCompacts++;
        gc.markCompactMaxMs = Math.max(gc.markCompactMaxMs, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  delay.enable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    stop: () => {
      delay.disable();
      observer.disconnect();
      return {
        delayP99Ms: ms(delay.percentile(99)),
        delayMaxMs: ms(delay.max),
        scavenges: gc.scavenges,
        scavengeMaxMs: round(gc.scavengeMaxMs),
        markCompacts: gc.markCompacts,
        markCompactMaxMs: round(gc.markCompactMaxMs),
        gcTotalMs: round(gc.totalMs),
      };
    },
  };
}

/** One line: `loop delay p99 12.3 / max 45.6 ms; GC 120 scavenges (max 3.1 ms), 2 mark-compacts (max 8.0 ms), 310 ms`. */
export const describeLoop = (f: LoopFigures): string =>
  `loop delay p99 ${f.delayP99Ms} / max ${f.delayMaxMs} ms, GC ${f.scavenges} scavenges (max ${f.scavengeMaxMs} ms), ` +
  `${f.markCompacts} mark-compacts (max ${f.markCompactMaxMs} ms), ${f.gcTotalMs} ms in all`;
