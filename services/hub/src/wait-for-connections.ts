import { type BackoffPolicy, type Bus, backoffDelayMs, connectHubBus } from "@carehub/bus";
import type { Logger } from "@carehub/observability";
import { CarehubError, type HubConfig, PermanentError } from "@carehub/schemas";
import type { Redis } from "ioredis";
import { createRedisClient } from "./redis-connection.ts";

/** What a starting process still waits for; `/readyz` names it until both answer. */
export type Dependency = "nats" | "redis";

/** Delays between connection attempts at start-up: from half a second, doubling, capped at 30 s. */
export const START_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 500, factor: 2, maxMs: 30_000, jitter: 0.5 });

export const START_TIMEOUT_CODE = "CAREHUB_ERR_START_TIMEOUT";

/** NATS or Redis did not answer within CAREHUB_START_TIMEOUT_MS: `carehub start` exits 1. */
export class StartTimeoutError extends PermanentError {
  constructor(dependency: Dependency, timeoutMs: number) {
    super(
      START_TIMEOUT_CODE,
      `${START_TIMEOUT_CODE}: ${dependency} did not answer within CAREHUB_START_TIMEOUT_MS (${timeoutMs} ms); giving up`,
    );
    this.name = "StartTimeoutError";
  }
}

export interface WaitOptions {
  /** Aborted when the process is asked to stop: waiting ends with the signal's reason. */
  signal?: AbortSignal;
  /** Told which dependency is being waited for (undefined once both answer). */
  onWaiting?: (dependency: Dependency | undefined) => void;
}

/**
 * Connects to NATS (provisioning the streams) and Redis, and when either is unreachable waits with capped
 * exponential backoff instead of failing, so a process started before its dependencies comes up once they do.
 * Bounded by `config.startTimeoutMs` (0: wait as long as it takes).
 */
export async function openConnectionsPatiently(
  config: HubConfig,
  logger: Logger,
  options: WaitOptions = {},
  name = "carehub",
): Promise<{ bus: Bus; redis: Redis }> {
  const deadline = config.startTimeoutMs === 0 ? Number.POSITIVE_INFINITY : Date.now() + config.startTimeoutMs;
  const attempt = <T>(dependency: Dependency, open: () => Promise<T>) =>
    retryUntilAnswered(dependency, open, { deadline, timeoutMs: config.startTimeoutMs, logger, ...options });
  const bus = await attempt("nats", () => connectHubBus(config, { name, logger }));
  const redis = createRedisClient(config, logger);
  try {
    await attempt("redis", () => redis.ping());
  } catch (error) {
    redis.disconnect();
    await bus.drain();
    throw error;
  }
  options.onWaiting?.(undefined);
  return { bus, redis };
}

async function retryUntilAnswered<T>(
  dependency: Dependency,
  open: () => Promise<T>,
  context: WaitOptions & { deadline: number; timeoutMs: number; logger: Logger },
): Promise<T> {
  context.onWaiting?.(dependency);
  for (let failures = 1; ; failures++) {
    context.signal?.throwIfAborted();
    try {
      return await open();
    } catch (error) {
      if (!worthWaitingFor(error)) throw error;
      const delayMs = backoffDelayMs(failures, START_BACKOFF, Math.random);
      if (Date.now() + delayMs > context.deadline) throw new StartTimeoutError(dependency, context.timeoutMs);
      // The reason's code only: a connection error's message may carry the server URL and its credentials.
      context.logger.warn(
        { dependency, attempt: failures, nextDelayMs: delayMs, reason: reasonCode(error) },
        `${dependency} unreachable at start-up; waiting before trying again`,
      );
      await sleep(delayMs, context.signal);
    }
  }
}

/**
 * Connection trouble is worth waiting for; a permanent failure (a stream that cannot be made compatible, bad
 * credentials reported as such) is not, except a refused provisioning, which a JetStream still electing its
 * leaders also causes.
 */
function worthWaitingFor(error: unknown): boolean {
  if (!(error instanceof CarehubError)) return true;
  return error.retryable || error.code === "CAREHUB_ERR_BUS_PROVISION_FAILED";
}

function reasonCode(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.name;
  return "unknown";
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
