import { ConfigError, positiveWholeNumberFromEnv } from "@carehub/schemas";
import { z } from "zod";

/** How the console runs; parsed once at start-up (services/hub/src/service-settings.ts), then frozen. */
export interface ConsoleOptions {
  /** Where the console's web application and its API listen (on HubConfig's httpHost); 0 picks a free port. */
  port: number;
  /** How long a sign-in lasts, counted from the sign-in (seconds); the session's Redis record expires with it. */
  sessionTtlSeconds: number;
}

export const DEFAULT_CONSOLE_OPTIONS: ConsoleOptions = Object.freeze({ port: 8090, sessionTtlSeconds: 1_800 });

export const CONSOLE_ENV = {
  port: "CAREHUB_CONSOLE_PORT",
  sessionTtlSeconds: "CAREHUB_CONSOLE_SESSION_TTL_SECONDS",
} as const;

const Port = z.coerce.number().int().min(0).max(65_535);

/** Reads the console's settings from the environment; every problem is reported at once. */
export function parseConsoleOptions(env: Record<string, string | undefined>): ConsoleOptions {
  const problems: string[] = [];
  let port: number | undefined;
  const rawPort = env[CONSOLE_ENV.port];
  if (rawPort !== undefined && rawPort !== "") {
    const parsed = Port.safeParse(rawPort);
    if (parsed.success) port = parsed.data;
    else problems.push(`${CONSOLE_ENV.port}: must be a port number (0-65535), got ${JSON.stringify(rawPort)}`);
  }
  const sessionTtlSeconds = positiveWholeNumberFromEnv(env, CONSOLE_ENV.sessionTtlSeconds, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...DEFAULT_CONSOLE_OPTIONS,
    ...(port === undefined ? {} : { port }),
    ...(sessionTtlSeconds === undefined ? {} : { sessionTtlSeconds }),
  });
}
