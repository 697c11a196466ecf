import { ConfigError, positiveWholeNumberFromEnv } from "@carehub/schemas";

/** How the router runs; parsed once at start-up (services/hub/src/service-settings.ts), then frozen. */
export interface RouterOptions {
  /**
   * Envelopes routed at once. Corrections still never overtake their originals (SenderOrder and the facts
   * script's check, docs/decisions/0075); more in hand hides more of each envelope's Redis and NATS round trips
   * (docs/decisions/0102-router-pace.md).
   */
  concurrency: number;
}

export const DEFAULT_ROUTER_OPTIONS: Readonly<RouterOptions> = Object.freeze({ concurrency: 32 });

/** Environment variables that tune the router (all optional; defaults in DEFAULT_ROUTER_OPTIONS). */
export const ROUTER_ENV = {
  concurrency: "CAREHUB_ROUTER_CONCURRENCY",
} as const;

/** Reads the router's tuning from the environment once at start-up; every problem is reported at once. */
export function parseRouterOptions(env: Record<string, string | undefined>): RouterOptions {
  const problems: string[] = [];
  const concurrency = positiveWholeNumberFromEnv(env, ROUTER_ENV.concurrency, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...DEFAULT_ROUTER_OPTIONS, ...(concurrency === undefined ? {} : { concurrency }) });
}
