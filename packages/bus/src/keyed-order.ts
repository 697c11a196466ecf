import type { Logger } from "@carehub/observability";
import { ClosedConnectionError, DrainingConnectionError } from "@nats-io/nats-core";
import { DEFAULT_ACK_WAIT_MS } from "./provision.ts";

/**
 * How long a waiting task is noticed, in ack waits of its consumer. The task it waits for, running, is not noticed
 * (nothing tells the server it is in hand), so past one ack wait its own message is redelivered — handed to another
 * copy of the stage, or back here; past this many, the waiting tasks stop telling the server they are in hand and
 * are redelivered too, as they were before they were noticed at all, so another copy can finish them.
 */
export const NOTICE_FOR_ACK_WAITS = 3;

/**
 * What a task is given: `passTurn()` lets the next task of its keys start before this one has finished. Intake's
 * handler calls it once it has called its one PIPELINE publish (before JetStream's ack), so several of a sender's
 * messages are in flight at once. Their publishes are sent in INGRESS order unless one is claim-checked (its publish
 * waits for the payload store, the turn already passed): corrections are kept behind their originals by intake's
 * `SenderOrder` wait, not by this. A task that never calls it passes the turn when it settles, succeeded or failed.
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
 * - intake, one key per sender (the INGRESS subject), passing the turn once its PIPELINE publish is called, so a
 *   sender's messages are handled in INGRESS order and different senders do not wait for each other;
 * - the tracker's status consumer, keyed by every referral, task or appointment an envelope's fold reads or writes
 *   (`businessOrderKeys`), the turn passed when the fold settles, so facts are applied in the stream's order.
 *
 * A task waiting its turn tells its message's server it is still in hand (`working`, at least every third of the
 * ack wait, at most 5 s apart), so a long wait does not get it redelivered while it waits; a running task is not told
 * (its own work says how long it takes). It is told for NOTICE_FOR_ACK_WAITS ack waits at most: a task that waits
 * longer waits for one that does not settle, and is left to the server to redeliver (a warning says how many).
 */
export class KeyedOrder {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #noticeMs: number;
  /** Notices a waiting task is given at most (NOTICE_FOR_ACK_WAITS ack waits). */
  readonly #notices: number;
  readonly #waiting = new Set<Waiter>();
  readonly #logger: Logger | undefined;
  readonly #stage: string | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #noticeFailureLogged = false;

  /**
   * `ackWaitMs`: the consumer's ack wait (default the bus's), which sets how often and how long a waiting task is
   * noticed; `logger` and `stage` name the warnings.
   */
  constructor(options: { ackWaitMs?: number | undefined; logger?: Logger | undefined; stage?: string } = {}) {
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    this.#noticeMs = Math.min(5_000, ackWaitMs / 3);
    this.#notices = Math.floor((NOTICE_FOR_ACK_WAITS * ackWaitMs) / this.#noticeMs);
    this.#logger = options.logger;
    this.#stage = options.stage;
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
  #startWaiting(working: () => void): Waiter {
    const waiter = { working, notices: 0 };
    this.#waiting.add(waiter);
    if (this.#ticker !== undefined) return waiter;
    this.#ticker = setInterval(() => {
      if (this.#waiting.size === 0) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
        return;
      }
      let givenUp = 0;
      for (const w of this.#waiting) {
        if (w.notices === this.#notices) {
          // Waited NOTICE_FOR_ACK_WAITS ack waits: redelivered one ack wait after its last notice.
          this.#waiting.delete(w);
          givenUp++;
          continue;
        }
        w.notices++;
        try {
          w.working();
        } catch (error) {
          // A throw here would leave the others untold and end the process (an error thrown from a timer).
          this.#noticeFailed(error);
        }
      }
      if (givenUp > 0) {
        // No key: the tracker's are ids out of the messages.
        this.#logger?.warn(
          { stage: this.#stage, waiting: givenUp, noticedForMs: this.#notices * this.#noticeMs },
          "messages waiting behind one that has not passed its turn are no longer kept in hand: the server redelivers them",
        );
      }
    }, this.#noticeMs);
    this.#ticker.unref?.();
    return waiter;
  }

  /**
   * A closed or draining connection (nats-core's ClosedConnectionError / DrainingConnectionError): nothing to tell,
   * the server redelivers after the ack wait. Anything else is a bug, logged once.
   */
  #noticeFailed(error: unknown): void {
    if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return;
    if (this.#noticeFailureLogged) return;
    this.#noticeFailureLogged = true;
    this.#logger?.error({ stage: this.#stage, err: error }, "telling the server a waiting message is in hand failed");
  }
}

interface Waiter {
  working: () => void;
  /** Notices given so far. */
  notices: number;
}
