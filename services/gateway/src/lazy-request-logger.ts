import type { FastifyBaseLogger } from "fastify";

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildOptions = Parameters<FastifyBaseLogger["child"]>[1];
type Log = (...args: unknown[]) => void;

/**
 * A request's logger (fastify `childLoggerFactory`) that makes its child — the request id bound, its bindings
 * scrubbed of patient data (@carehub/observability createLogger) — only when something logs through it.
 * Fastify makes one per request and the message route almost never logs (failures are logged by the error
 * handler with the process logger), so the child was about 2 % of the gateway's CPU for nothing. One object
 * per request, its methods on the prototype.
 */
export function lazyChildLogger(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

const METHODS = ["info", "error", "debug", "fatal", "warn", "trace", "silent"] as const;

class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.real().level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

// The log methods, once on the prototype: each makes the child (if not yet made) and logs through it.
for (const method of METHODS) {
  Object.defineProperty(LazyChildLogger.prototype, method, {
    value(this: LazyChildLogger, ...args: unknown[]): void {
      const target = this.real();
      (target[method] as Log).apply(target, args);
    },
  });
}
