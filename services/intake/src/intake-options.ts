import { ConfigError, positiveWholeNumberFromEnv } from "@carehub/schemas";

/** How intake runs; parsed once at start-up (services/hub/src/service-settings.ts), then frozen. */
export interface IntakeOptions {
  /**
   * Messages handled at once. Each sender's messages are still taken one after another in INGRESS order (the INGRESS
   * consumer's lanes, one per sender, 0134); a correction is kept behind its original by SenderOrder (0075).
   */
  concurrency: number;
}

/**
 * 8 by measurement: intake alone through a backlog, none of 16, 32 and 64 took less CPU per message than 8 in
 * every round (services/intake/bench/backlog.bench.ts; docs/decisions/0107-intake-pace.md).
 */
export const DEFAULT_INTAKE_OPTIONS: Readonly<IntakeOptions> = Object.freeze({ concurrency: 8 });

/** Environment variables that tune intake (all optional; defaults in DEFAULT_INTAKE_OPTIONS). */
export const INTAKE_ENV = {
  concurrency: "CAREHUB_INTAKE_CONCURRENCY",
} as const;

/** Reads intake's tuning from the environment once at start-up; every problem is reported at once. */
export function parseIntakeOptions(env: Record<string, string | undefined>): IntakeOptions {
  const problems: string[] = [];
  const concurrency = positiveWholeNumberFromEnv(env, INTAKE_ENV.concurrency, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...DEFAULT_INTAKE_OPTIONS, ...(concurrency === undefined ? {} : { concurrency }) });
}
