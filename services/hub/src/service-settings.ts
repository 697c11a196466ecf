// Each service's settings module alone (its package's "./settings"), not the service: a process parses every
// service's settings but loads only the code of the services it runs (service-catalogue.ts).
import { CONSOLE_ENV, type ConsoleOptions, parseConsoleOptions } from "@carehub/console/settings";
import { DISPATCHER_ENV, type DispatcherOptions, parseDispatcherOptions } from "@carehub/dispatcher/settings";
import { INTAKE_ENV, type IntakeOptions, parseIntakeOptions } from "@carehub/intake/settings";
import { parseRouterOptions, ROUTER_ENV, type RouterOptions } from "@carehub/router/settings";
import { ConfigError, HUB_CONFIG_ENV, type HubConfig } from "@carehub/schemas";
import { parseTrackerOptions, TRACKER_ENV, type TrackerOptions } from "@carehub/tracker/settings";

/**
 * Each service's own tuning, beside the shared HubConfig. Parsed once per process, whichever services it
 * runs, so a setting means the same in `carehub start --all` as in `carehub start tracker`.
 */
export interface ServiceSettings {
  intake: IntakeOptions;
  router: RouterOptions;
  tracker: TrackerOptions;
  dispatcher: Partial<DispatcherOptions>;
  console: ConsoleOptions;
}

/**
 * Reads every service's settings from the environment. A bad value anywhere is a ConfigError listing every
 * problem (tracker's and dispatcher's together), so an operator fixes them in one go.
 */
export function parseServiceSettings(env: Record<string, string | undefined>, config: HubConfig): ServiceSettings {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const intake = attempt(() => parseIntakeOptions(env));
  const router = attempt(() => parseRouterOptions(env));
  const tracker = attempt(() => parseTrackerOptions(env));
  const dispatcher = attempt(() => parseDispatcherOptions(env, config.retentionDays));
  const consoleOptions = attempt(() => parseConsoleOptions(env));
  if (
    intake === undefined ||
    router === undefined ||
    tracker === undefined ||
    dispatcher === undefined ||
    consoleOptions === undefined
  ) {
    throw new ConfigError(problems);
  }
  return { intake, router, tracker, dispatcher, console: consoleOptions };
}

/** Variables read by OpenTelemetry's own exporter and tracing start-up (docs/runbook.md, Traces). */
const TRACING_ENV = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_SERVICE_NAME",
  "OTEL_TRACES_EXPORTER",
] as const;

/** Every environment variable a `carehub start` process reads: the list the docs' configuration table must match. */
export const PROCESS_ENV_VARIABLES: readonly string[] = [
  ...Object.values(HUB_CONFIG_ENV),
  ...Object.values(INTAKE_ENV),
  ...Object.values(ROUTER_ENV),
  ...Object.values(TRACKER_ENV),
  ...Object.values(DISPATCHER_ENV),
  ...Object.values(CONSOLE_ENV),
  ...TRACING_ENV,
];
