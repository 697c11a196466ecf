import pino from "pino";
import { redactPatientData, scrubText } from "./patient-data.ts";

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Service or component name, written as `name` on every line. */
  name: string;
  /** pino level (`trace` … `fatal`, `silent`); default `info`. */
  level?: string;
  /** Where lines go (default: stdout). Tests pass a stream to capture output. */
  destination?: pino.DestinationStream;
}

/**
 * A pino logger with patient-identifier redaction configured once, here: every argument of every log
 * call and every child binding is deep-scrubbed (CPR numbers → `[CPR]`, patient keys → `[REDACTED]`)
 * before pino serialises it, so no call site can forget.
 */
export function createLogger(options: LoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? "info",
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === "string" ? scrubText(arg) : redactPatientData(arg)));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const logger = options.destination === undefined ? pino(config) : pino(config, options.destination);
  // pino makes a child with Object.create(parent), so this override also covers grandchildren.
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactPatientData(bindings) as pino.Bindings, childOptions);
  } as typeof logger.child;
  return logger;
}
