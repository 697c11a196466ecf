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
 * A task's place in a KeyedOrder, taken before the task is given (`KeyedOrder.take`). `run(task)` once: the task
 * starts when every task taken before the place under any of its keys has passed its turn, and its turn passes as it
 * settles, if it has not passed before. `passTurn()` without a task gives the place up (the caller's own work failed).
 */
export interface Place extends Turn {
  run<T>(task: (turn: Turn) => Promise<T>): Promise<T>;
}

/**
 * Runs tasks side by side, but in the order they were handed over per key: a task names one key or several, and
 * starts once every task handed over before it under ANY of its keys has passed its turn (called `passTurn()`, or
 * settled whatever the outcome: a failed task is retried by redelivery, after the ones behind it, so it must not
 * stop them); it then becomes the last task of each of its keys. Tasks with no key in common run side by side.
 * No deadlock: a task takes all its keys in one synchronous step, so it only ever waits for tasks handed over
 * before it. A key with nothing waiting behind its last task is forgotten (no entry per key ever seen). A task is
 * handed over by `run(keys, task)`, or its place taken first and the task given later (`take(keys)`, then
 * `place.run(task)`): the order is the order of the places.
 *
 * Its callers (docs/decisions/0120) take places in the order their consumer receives the messages — the stream's
 * order — and bound how many are in hand with the consumer's concurrency (nothing here caps it):
 * - intake, one lane per sender (the INGRESS subject), passing the turn once its PIPELINE publish is called, so a
 *   sender's messages are handled in INGRESS order and different senders do not wait for each other. The lanes are
 *   the INGRESS consumer's (`ConsumeSpec.laneOf`): it takes a message's place as the message arrives, before a
 *   claim-checked payload is fetched (0134), and intake reads the message and sends its claim before it gives its
 *   task (0129);
 * - the tracker's status consumer, keyed by every referral, task or appointment an envelope's fold reads or writes
 *   (`businessOrderKeys`), the turn passed when the fold settles, so facts are applied in the stream's order. Its
 *   keys are in the envelope, so it hands a task over when the consumer hands it the envelope: an envelope too
 *   large for a NATS message (claim-checked) would be placed once its payload is fetched (0134, "Consequences").
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
  /** What a place needs of its order: one object per order, so that a place costs no closures of its own. */
  readonly #lane: Lane = {
    release: (key, passed) => this.#release(key, passed),
    startWaiting: (working) => this.#startWaiting(working),
    stopWaiting: (waiter) => this.#waiting.delete(waiter),
  };

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
    return this.take(keys, working).run(task);
  }

  /**
   * Takes the task's place under `keys` now and gives the task later (`place.run(task)`): a caller that must do some
   * work of its own before it knows the task (the bus consumer fetching a claim-checked payload, docs/decisions/0134)
   * keeps the order it was handed messages in, whatever that work takes. The place counts as handed over now: the
   * tasks taken after it wait for it. It passes its turn as a task's does (`passTurn()`, or its task settling); a
   * place whose task is never given must be passed, or its keys wait for it until their waiting notices give up.
   * Waiting notices start when the task is given: the work before it is the caller's own, like a running task's.
   */
  take(keys: string | readonly string[], working?: () => void): Place {
    // One key (intake's every message) as itself: no array, no set.
    const held = typeof keys === "string" ? keys : keys.length === 1 ? (keys[0] as string) : [...new Set(keys)];
    const place = new TakenPlace(this.#lane, held, working);
    if (typeof held === "string") place.ready = this.#take(held, place.passed);
    else {
      const before: Promise<void>[] = [];
      for (const key of held) {
        const tail = this.#take(key, place.passed);
        if (tail !== undefined) before.push(tail);
      }
      place.ready = before.length === 0 ? undefined : before.length === 1 ? before[0] : Promise.all(before);
    }
    return place;
  }

  /** Keys with a task running or waiting (tests). */
  get keys(): number {
    return this.#tails.size;
  }

  /** Makes `passed` the last task of `key`: the one before it, if any, is what it waits for. */
  #take(key: string, passed: Promise<void>): Promise<void> | undefined {
    const before = this.#tails.get(key);
    this.#tails.set(key, passed);
    return before;
  }

  /** Forgets `key` when `passed` is still its last task: nothing waits behind it. */
  #release(key: string, passed: Promise<void>): void {
    if (this.#tails.get(key) === passed) this.#tails.delete(key);
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

/** The part of a KeyedOrder its places use. */
interface Lane {
  /** Forgets `key` when `passed` is still its last task. */
  release(key: string, passed: Promise<void>): void;
  startWaiting(working: () => void): Waiter;
  stopWaiting(waiter: Waiter): void;
}

/**
 * A place taken in a KeyedOrder (`take`): its keys' tails are its `passed` promise, `ready` is what it waits for
 * (undefined: nothing). A class rather than closures: a task costs about what it did before places could be taken
 * apart from their tasks (0134) — the place (it is also the task's turn), its promise and resolver, and the one
 * closure that passes the turn as the task settles.
 */
class TakenPlace implements Place {
  readonly passed: Promise<void>;
  ready: Promise<unknown> | undefined;
  readonly #resolve: () => void;
  readonly #lane: Lane;
  readonly #held: string | readonly string[];
  readonly #working: (() => void) | undefined;

  constructor(lane: Lane, held: string | readonly string[], working: (() => void) | undefined) {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.passed = promise;
    this.#resolve = resolve;
    this.#lane = lane;
    this.#held = held;
    this.#working = working;
  }

  /**
   * The keys are let go as the turn passes, not in a reaction to it (one promise and reaction fewer per task).
   * Called more than once (by the task, as it settles, by a caller that gave no task): by then a key's tail is a
   * later task's, or gone, and the promise is resolved: nothing happens.
   */
  passTurn(): void {
    this.#resolve();
    const held = this.#held;
    if (typeof held === "string") this.#lane.release(held, this.passed);
    else for (const key of held) this.#lane.release(key, this.passed);
  }

  run<T>(task: (turn: Turn) => Promise<T>): Promise<T> {
    const ready = this.ready;
    let result: Promise<T>;
    if (ready === undefined) {
      // Started at once, as the caller's own handler would be; a synchronous throw still passes the turn.
      try {
        result = task(this);
      } catch (error) {
        result = Promise.reject(error);
      }
    } else if (this.#working === undefined) {
      result = ready.then(() => task(this));
    } else {
      const waiter = this.#lane.startWaiting(this.#working);
      // The tails only ever resolve: the task's start is the end of its wait.
      result = ready.then(() => {
        this.#lane.stopWaiting(waiter);
        return task(this);
      });
    }
    const pass = () => this.passTurn();
    result.then(pass, pass);
    return result;
  }
}
