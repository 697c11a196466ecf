import { BusinessStatus, ConfigError, positiveWholeNumberFromEnv, StatusSubjectType } from "@carehub/schemas";
import type { StaleLimits } from "@carehub/store";
import { z } from "zod";

const DAY_MS = 86_400_000;

/** How the tracker runs; every field has a default. Parsed once at start-up, then frozen. */
export interface TrackerOptions {
  /** How often the timer poller looks for due ack-overdue / stale timers. */
  timerPollMs: number;
  /** How long a claimed timer is ours before another tracker copy may take it. */
  timerLeaseMs: number;
  /** How often expired records are swept out of the read model. */
  sweepIntervalMs: number;
  /** "No status change for this long" limits, per subject type and status (ms). */
  staleLimits: StaleLimits;
  /**
   * Lifecycle events in hand at once on EVENTS, and the largest batch folded in one store call. Folds are
   * order-free and idempotent, so more than one is safe; more in hand means fewer, larger batches.
   */
  concurrency: number;
  /**
   * Envelopes in hand at once on PIPELINE. Those that change only their message's record are folded in the
   * events' batches (up to `concurrency` in one store call); those that carry business facts are still folded
   * one at a time per referral or task, in the order they came (KeyedOrder of @carehub/bus), so a transition is not first refused and then accepted
   * when its predecessor overtakes it (which would alarm operators for nothing). 1 was the default until
   * decision 0113: the status consumer then took one envelope and one store call at a time, and fell behind
   * the pipeline in a backlog.
   */
  statusConcurrency: number;
}

/**
 * Defaults: a referral that was sent or received but not booked within 14 days, and a task not accepted
 * within 3 days or not finished within 30, are stale. Appointments have a date of their own and no limit.
 */
export const DEFAULT_STALE_LIMITS: StaleLimits = Object.freeze({
  referral: { sent: 14 * DAY_MS, received: 14 * DAY_MS },
  task: { requested: 3 * DAY_MS, received: 3 * DAY_MS, accepted: 14 * DAY_MS, "in-progress": 30 * DAY_MS },
});

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = Object.freeze({
  timerPollMs: 1_000,
  timerLeaseMs: 30_000,
  sweepIntervalMs: 60_000,
  staleLimits: DEFAULT_STALE_LIMITS,
  concurrency: 64,
  statusConcurrency: 64,
});

/** `{"referral":{"received":14}}`: days per subject type and status. */
const StaleDays = z.partialRecord(StatusSubjectType, z.partialRecord(BusinessStatus, z.number().positive()));

export const TRACKER_ENV = {
  timerPollMs: "CAREHUB_TRACKER_TIMER_POLL_MS",
  concurrency: "CAREHUB_TRACKER_CONCURRENCY",
  statusConcurrency: "CAREHUB_TRACKER_STATUS_CONCURRENCY",
  sweepIntervalMs: "CAREHUB_TRACKER_SWEEP_INTERVAL_MS",
  staleDays: "CAREHUB_TRACKER_STALE_DAYS",
} as const;

/** Reads the tracker's tuning from the environment; every problem is reported at once. */
export function parseTrackerOptions(env: Record<string, string | undefined>): TrackerOptions {
  const problems: string[] = [];
  const positive = (name: string): number | undefined => positiveWholeNumberFromEnv(env, name, problems);
  const timerPollMs = positive(TRACKER_ENV.timerPollMs);
  const concurrency = positive(TRACKER_ENV.concurrency);
  const statusConcurrency = positive(TRACKER_ENV.statusConcurrency);
  const sweepIntervalMs = positive(TRACKER_ENV.sweepIntervalMs);
  let staleLimits = DEFAULT_STALE_LIMITS;
  const rawStale = env[TRACKER_ENV.staleDays];
  if (rawStale !== undefined && rawStale !== "") {
    const parsed = StaleDays.safeParse(safeJson(rawStale));
    if (parsed.success) staleLimits = daysToMs(parsed.data);
    else problems.push(`${TRACKER_ENV.staleDays}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...DEFAULT_TRACKER_OPTIONS,
    ...(timerPollMs === undefined ? {} : { timerPollMs }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(statusConcurrency === undefined ? {} : { statusConcurrency }),
    ...(sweepIntervalMs === undefined ? {} : { sweepIntervalMs }),
    staleLimits,
  });
}

function daysToMs(days: z.infer<typeof StaleDays>): StaleLimits {
  const out: StaleLimits = {};
  for (const [type, byStatus] of Object.entries(days)) {
    out[type as keyof StaleLimits] = Object.fromEntries(
      Object.entries(byStatus ?? {}).map(([status, d]) => [status, Math.round((d as number) * DAY_MS)]),
    );
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
