import { ConfigError, positiveWholeNumberFromEnv, retentionSeconds } from "@carehub/schemas";
import type { DispatcherOptions } from "./dispatcher.ts";
import { DEFAULT_DISPATCHER_OPTIONS } from "./dispatcher.ts";

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
