import type { FastifyBaseLogger } from "fastify";

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildOptions = Parameters<FastifyBaseLogger["child"]>[1];
type LogMethod = "info" | "error" | "debug" | "fatal" | "warn" | "trace" | "silent";
const METHODS: readonly LogMethod[] = ["info", "error", "debug", "fatal", "warn", "trace", "silent"];

/**
 * A request's logger (fastify `childLoggerFactory`) that makes its child — the request id bound, its bindings
 * scrubbed of patient data (@carehub/observability createLogger) — only when something logs through it.
 * Fastify makes one per request and the message route almost never logs (failures are logged by the error
 * handler with the process logger), so the child was about 2 % of the gateway's CPU for nothing.
 */
export function lazyChildLogger(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = (): FastifyBaseLogger => {
    child ??= logger.child(bindings, options);
    return child;
  };
  const lazy = {
    get level() {
      return real().level;
    },
    set level(level: string) {
      real().level = level;
    },
    child: (childBindings: Bindings, childOptions?: ChildOptions) => real().child(childBindings, childOptions),
  } as FastifyBaseLogger;
  for (const method of METHODS) {
    (lazy as unknown as Record<LogMethod, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      const target = real();
      (target[method] as (...args: unknown[]) => void).apply(target, args);
    };
  }
  return lazy;
}
