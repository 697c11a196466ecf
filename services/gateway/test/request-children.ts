import { Writable } from "node:stream";
import { createLogger, type Logger } from "@carehub/observability";

/**
 * A process logger (createLogger, lines kept in `lines`) that counts the request children made from it — those
 * binding a request id, as fastify's per-request loggers do; grandchildren inherit the counting `child` too.
 */
export function countingLogger(name: string): { logger: Logger; lines: string[]; requestChildren(): number } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ name, destination });
  let children = 0;
  const child = logger.child;
  logger.child = function (this: Logger, ...args: Parameters<typeof child>) {
    if ("reqId" in args[0]) children++;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, requestChildren: () => children };
}
