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
  return new LazyChildLogger(logger, bindings, options);
}

class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#real().level;
  }
  set level(level: string) {
    this.#real().level = level;
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
  info(...args: unknown[]): void {
    (this.#real().info as Log)(...args);
  }
  error(...args: unknown[]): void {
    (this.#real().error as Log)(...args);
  }
  debug(...args: unknown[]): void {
    (this.#real().debug as Log)(...args);
  }
  fatal(...args: unknown[]): void {
    (this.#real().fatal as Log)(...args);
  }
  warn(...args: unknown[]): void {
    (this.#real().warn as Log)(...args);
  }
  trace(...args: unknown[]): void {
    (this.#real().trace as Log)(...args);
  }
  silent(...args: unknown[]): void {
    (this.#real().silent as Log)(...args);
  }
}
