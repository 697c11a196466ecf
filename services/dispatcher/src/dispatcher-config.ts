import { type BackoffPolicy, DEFAULT_BACKOFF } from "@carehub/bus";
import { ConfigError, positiveWholeNumberFromEnv, retentionSeconds } from "@carehub/schemas";
import { type CircuitPolicy, DEFAULT_CIRCUIT_POLICY } from "./circuit-breaker.ts";

export interface DispatcherOptions {
  backoff: BackoffPolicy;
  circuit: CircuitPolicy;
  /** How often a message that must follow another looks again whether that one was delivered. */
  predecessorPollMs: number;
  /** Upper bound of any pause (also caps an endpoint's Retry-After). */
  maxWaitMs: number;
  /** Deliveries in flight per endpoint. */
  concurrency: number;
  /** How often the registry is checked for added or removed endpoints. */
  registryPollMs: number;
  /** How long delivered / dead-letter markers and attempt histories are kept (the retention period). */
  stateTtlSeconds: number;
  /**
   * The bus's nak delays by delivery count, used only when the bus does not honour a wait's own
   * `retryInMs`: then a waiting message looks again on this schedule (the last entry repeats).
   */
  pollScheduleMs: number[];
  /**
   * How often the claim-check bucket is swept of objects no stream message names any more (docs/decisions/0061).
   * Every dispatcher copy sweeps; sweeps running at once are harmless.
   */
  claimCheckSweepMs: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: Readonly<DispatcherOptions> = Object.freeze({
  backoff: DEFAULT_BACKOFF,
  circuit: DEFAULT_CIRCUIT_POLICY,
  predecessorPollMs: 500,
  maxWaitMs: 10 * 60_000,
  concurrency: 8,
  registryPollMs: 2_000,
  stateTtlSeconds: 90 * 24 * 3600,
  pollScheduleMs: [100, 250, 500, 1_000, 2_000],
  claimCheckSweepMs: 60 * 60_000,
});

/** Environment variables that tune the dispatcher (all optional; defaults in DEFAULT_DISPATCHER_OPTIONS). */
export const DISPATCHER_ENV = {
  concurrency: "CAREHUB_DISPATCH_CONCURRENCY",
  backoffInitialMs: "CAREHUB_DISPATCH_BACKOFF_INITIAL_MS",
  backoffMaxMs: "CAREHUB_DISPATCH_BACKOFF_MAX_MS",
  circuitFailureThreshold: "CAREHUB_CIRCUIT_FAILURE_THRESHOLD",
  circuitCooldownMs: "CAREHUB_CIRCUIT_COOLDOWN_MS",
  registryPollMs: "CAREHUB_DISPATCH_REGISTRY_POLL_MS",
  claimCheckSweepMs: "CAREHUB_CLAIM_CHECK_SWEEP_MS",
} as const;

/**
 * Reads the dispatcher's tuning from the environment once at start-up; every problem is reported at once.
 * `retentionDays` (from the hub configuration) sets how long delivery markers are kept.
 */
export function parseDispatcherOptions(
  env: Record<string, string | undefined>,
  retentionDays: number,
): Partial<DispatcherOptions> {
  const problems: string[] = [];
  const read = (name: string): number | undefined => positiveWholeNumberFromEnv(env, name, problems);
  const concurrency = read(DISPATCHER_ENV.concurrency);
  const initialMs = read(DISPATCHER_ENV.backoffInitialMs);
  const maxMs = read(DISPATCHER_ENV.backoffMaxMs);
  const failureThreshold = read(DISPATCHER_ENV.circuitFailureThreshold);
  const cooldownMs = read(DISPATCHER_ENV.circuitCooldownMs);
  const registryPollMs = read(DISPATCHER_ENV.registryPollMs);
  const claimCheckSweepMs = read(DISPATCHER_ENV.claimCheckSweepMs);
  if (problems.length > 0) throw new ConfigError(problems);

  const defaults = DEFAULT_DISPATCHER_OPTIONS;
  return Object.freeze({
    stateTtlSeconds: retentionSeconds(retentionDays),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(registryPollMs === undefined ? {} : { registryPollMs }),
    ...(claimCheckSweepMs === undefined ? {} : { claimCheckSweepMs }),
    backoff: {
      ...defaults.backoff,
      ...(initialMs === undefined ? {} : { initialMs }),
      ...(maxMs === undefined ? {} : { maxMs }),
    },
    circuit: {
      ...defaults.circuit,
      ...(failureThreshold === undefined ? {} : { failureThreshold }),
      ...(cooldownMs === undefined ? {} : { cooldownMs, probeLeaseMs: Math.max(cooldownMs, 1_000) }),
    },
  });
}
