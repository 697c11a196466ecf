import type { Logger } from "./logger.ts";
import { onMetricsCollect } from "./metrics.ts";

export interface MetricPollerOptions {
  /** What the poller refreshes (`stream metrics`, `consumer metrics`), for its log lines. */
  name: string;
  /** Longest time between two refreshes: a timer refreshes at least this often. */
  intervalMs: number;
  /** Shortest time between two refreshes, so frequent scrapes do not become a flood of server requests (default 1 s, or intervalMs when shorter). */
  minIntervalMs?: number;
  logger?: Logger | undefined;
}

export interface MetricPoller {
  /** Refreshes now, or joins the refresh already running. Never rejects (a failure is logged). */
  refresh(): Promise<void>;
  /** Stops the timer and the scrape hook, and waits for a refresh in flight. */
  stop(): Promise<void>;
}

/**
 * Keeps gauges that come from a server (stream and consumer info) fresh: refreshed at start, on a timer, and
 * whenever `/metrics` is scraped. A scrape never waits for the server: it reads the last values and starts a
 * refresh for the next one. The first failure of a streak is a warning (the gauges are getting stale), the
 * rest debug, so an outage does not flood the log.
 */
export function pollMetrics(refresh: () => Promise<void>, options: MetricPollerOptions): MetricPoller {
  const minIntervalMs = options.minIntervalMs ?? Math.min(1_000, options.intervalMs);
  let running: Promise<void> | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;
  let failing = false;
  let stopped = false;

  const run = (): Promise<void> => {
    running ??= (async () => {
      lastStart = performance.now();
      try {
        await refresh();
        if (failing) options.logger?.info({ poller: options.name }, "metrics refresh works again");
        failing = false;
      } catch (error) {
        if (!failing) options.logger?.warn({ err: error, poller: options.name }, "metrics refresh failed");
        else options.logger?.debug({ err: error, poller: options.name }, "metrics refresh failed again");
        failing = true;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const nudge = (): void => {
    if (stopped || running !== undefined || performance.now() - lastStart < minIntervalMs) return;
    void run();
  };

  const timer = setInterval(nudge, options.intervalMs);
  timer.unref();
  const removeHook = onMetricsCollect(nudge);
  void run();
  return {
    refresh: () => (stopped ? Promise.resolve() : run()),
    async stop() {
      stopped = true;
      clearInterval(timer);
      removeHook();
      await running;
    },
  };
}
