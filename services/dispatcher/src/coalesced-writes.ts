import type { Redis } from "ioredis";

/**
 * Write coalescing for one Redis connection: call it right before each command. The first command of a piece of
 * work (an I/O callback and the promise continuations it sets off) is written at once; commands issued after it in
 * the same piece of work are held in the socket (`cork`) and leave together, in one write, when that work is done
 * (`process.nextTick`). A delivery's commands are separated by its POST, so only deliveries handled side by side
 * share a write — a backlog's, when a read brings many copies or many answers at once; a lone delivery's command
 * leaves as soon as it is issued, as before (docs/decisions/0091).
 */
export function coalescedWrites(redis: Redis): () => void {
  let working = false;
  let held: { uncork(): void } | undefined;
  return () => {
    const stream = (redis as unknown as { stream?: { cork(): void; uncork(): void } }).stream;
    if (stream === undefined) return;
    if (!working) {
      working = true;
      process.nextTick(() => {
        working = false;
        const corked = held;
        held = undefined;
        corked?.uncork();
      });
      return;
    }
    if (held === undefined) {
      held = stream;
      stream.cork();
    }
  };
}
