import { DEFAULT_ACK_WAIT_MS } from "./provision.ts";

/**
 * What a task is given: `passTurn()` lets the next task of its keys start before this one has finished. Intake's
 * handler calls it once its one ordered publish is sent (before JetStream's ack), so a sender's publishes go out in
 * INGRESS order while several are in flight (NATS keeps the order of one connection's publishes). A task that never
 * calls it passes the turn when it settles, succeeded or failed.
 */
export interface Turn {
  passTurn(): void;
}

/**
 * Runs tasks side by side, but in the order they were handed over per key: a task names one key or several, and
 * starts once every task handed over before it under ANY of its keys has passed its turn (called `passTurn()`, or
 * settled whatever the outcome: a failed task is retried by redelivery, after the ones behind it, so it must not
 * stop them); it then becomes the last task of each of its keys. Tasks with no key in common run side by side.
 * No deadlock: a task takes all its keys in one synchronous step, so it only ever waits for tasks handed over
 * before it. A key with nothing waiting behind its last task is forgotten (no entry per key ever seen).
 *
 * Its callers (docs/decisions/0120) hand tasks over in the order their consumer started the handlers — the stream's
 * order — and bound how many are in hand with the consumer's concurrency (nothing here caps it):
 * - intake, one key per sender (the INGRESS subject), passing the turn once its PIPELINE publish is sent, so a
 *   correction never overtakes its original on PIPELINE and different senders do not wait for each other;
 * - the tracker's status consumer, keyed by every referral, task or appointment an envelope's fold reads or writes
 *   (`businessOrderKeys`), the turn passed when the fold settles, so facts are applied in the stream's order.
 *
 * A task waiting its turn tells its message's server it is still in hand (`working`, at least every third of the
 * ack wait, at most 5 s apart), so a long wait does not get it redelivered while it waits; a running task is not told
 * (its own work says how long it takes).
 */
export class KeyedOrder {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #noticeMs: number;
  readonly #waiting = new Set<{ working: () => void }>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  /** `ackWaitMs`: the consumer's ack wait (default the bus's), which sets how often a waiting task is noticed. */
  constructor(options: { ackWaitMs?: number | undefined } = {}) {
    this.#noticeMs = Math.min(5_000, (options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) / 3);
  }

  /**
   * Resolves or rejects as `task` does, once every task handed over before it under any of `keys` has passed its
   * turn and it has run. `working` is called every notice interval while the task waits for others.
   */
  run<T>(keys: string | readonly string[], task: (turn: Turn) => Promise<T>, working?: () => void): Promise<T> {
    let passTurn: () => void = () => {};
    const passed = new Promise<void>((resolve) => {
      passTurn = resolve;
    });
    const ready = typeof keys === "string" ? this.#take(keys, passed) : this.#takeAll(keys, passed);
    const turn: Turn = { passTurn };
    let result: Promise<T>;
    if (ready === undefined) {
      // Started at once, as the caller's own handler would be; a synchronous throw still passes the turn.
      try {
        result = task(turn);
      } catch (error) {
        result = Promise.reject(error);
      }
    } else if (working === undefined) {
      result = ready.then(() => task(turn));
    } else {
      const waiter = this.#startWaiting(working);
      // The tails only ever resolve: the task's start is the end of its wait.
      result = ready.then(() => {
        this.#waiting.delete(waiter);
        return task(turn);
      });
    }
    result.then(passTurn, passTurn);
    return result;
  }

  /** Keys with a task running or waiting (tests). */
  get keys(): number {
    return this.#tails.size;
  }

  /** One key (intake's every message): no array, no set. */
  #take(key: string, passed: Promise<void>): Promise<void> | undefined {
    const before = this.#tails.get(key);
    this.#tails.set(key, passed);
    void passed.then(() => {
      if (this.#tails.get(key) === passed) this.#tails.delete(key);
    });
    return before;
  }

  #takeAll(keys: readonly string[], passed: Promise<void>): Promise<unknown> | undefined {
    const unique = keys.length === 1 ? keys : [...new Set(keys)];
    const before: Promise<void>[] = [];
    for (const key of unique) {
      const tail = this.#tails.get(key);
      if (tail !== undefined) before.push(tail);
      this.#tails.set(key, passed);
    }
    void passed.then(() => {
      for (const key of unique) if (this.#tails.get(key) === passed) this.#tails.delete(key);
    });
    if (before.length === 0) return undefined;
    return before.length === 1 ? before[0] : Promise.all(before);
  }

  /**
   * One timer for every waiting task, not one each (intake's lanes have most of their messages waiting at any time
   * in a backlog): it runs while anyone waits and stops at the first tick that finds no one. A task that starts
   * waiting between ticks is noticed at the next one, sooner than the interval: only ever more notices, never fewer.
   */
  #startWaiting(working: () => void): { working: () => void } {
    const waiter = { working };
    this.#waiting.add(waiter);
    if (this.#ticker !== undefined) return waiter;
    this.#ticker = setInterval(() => {
      if (this.#waiting.size === 0) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
        return;
      }
      for (const w of this.#waiting) {
        try {
          w.working();
        } catch {
          // The connection is gone: nothing to tell, the server redelivers after the ack wait. A throw here would
          // leave the others untold and end the process (an error thrown from a timer).
        }
      }
    }, this.#noticeMs);
    this.#ticker.unref?.();
    return waiter;
  }
}
