/**
 * Runs tasks in the order they were handed over, whatever the outcome of the one before, one at a time per key;
 * a task names several keys and waits for the last task handed over before it under EVERY key it names, then
 * becomes the last task of each. Tasks with no key in common run side by side. The tracker's PIPELINE consumer has
 * many envelopes in hand (record-only ones are folded in batches beside them, event-batcher.ts); the envelopes
 * that carry business facts go through this, keyed by every referral, task or appointment whose state their fold
 * reads or writes (`businessOrderKeys`, envelope-handler.ts), in the order the consumer started their handlers —
 * the stream's order — so they are applied as when the consumer took one envelope at a time (docs/decisions/0113).
 * No deadlock: a task takes all its keys in one synchronous step, so it only ever waits for tasks handed over
 * before it.
 */
export class InOrder {
  readonly #tails = new Map<string, Promise<unknown>>();

  /**
   * Resolves or rejects as `task` does, once every task handed over before it under any of `keys` has settled and
   * it has run. `waiting` is called while the task waits for others (not while it runs), every `everyMs`.
   */
  run<T>(keys: string | readonly string[], task: () => Promise<T>, waiting?: Waiting): Promise<T> {
    const unique = [...new Set(typeof keys === "string" ? [keys] : keys)];
    const before = unique.map((key) => this.#tails.get(key)).filter((tail) => tail !== undefined);
    const ready = before.length === 0 ? Promise.resolve() : Promise.all(before);
    const result = ready.then(waiting === undefined || before.length === 0 ? task : whileWaiting(ready, waiting, task));
    // The next task of a key waits for this one to settle, not to succeed: a failed fold is retried by redelivery.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of unique) this.#tails.set(key, tail);
    // A key with nothing queued behind its last task is forgotten (no entry per referral ever seen).
    void tail.then(() => {
      for (const key of unique) if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting (tests). */
  get keys(): number {
    return this.#tails.size;
  }
}

/** Told, every `everyMs`, that a task is still waiting its turn (the tracker extends the message's ack deadline). */
export interface Waiting {
  everyMs: number;
  notify: () => void;
}

function whileWaiting<T>(ready: Promise<unknown>, waiting: Waiting, task: () => Promise<T>): () => Promise<T> {
  const timer = setInterval(waiting.notify, waiting.everyMs);
  timer.unref?.();
  const stop = () => clearInterval(timer);
  ready.then(stop, stop);
  return task;
}
