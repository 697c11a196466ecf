/**
 * Runs the tasks of one key one at a time, in the order they were handed over, whatever the outcome of the one
 * before; tasks of different keys run side by side. The tracker's PIPELINE consumer has many envelopes in hand
 * (record-only ones are folded in batches beside them, event-batcher.ts); the envelopes that carry business facts
 * go through this, keyed by the referral or task they are about (`businessOrderKey`, envelope-handler.ts), in the
 * order the consumer started their handlers — the stream's order — so a referral's transitions are applied in the
 * order they arrived, as when the consumer took one envelope at a time (docs/decisions/0113).
 */
export class InOrder {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Resolves or rejects as `task` does, once every task of `key` handed over before it has settled and it has run. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    // The next task of the key waits for this one to settle, not to succeed: a failed fold is retried by redelivery.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // A key with nothing queued behind its last task is forgotten (no entry per referral ever seen).
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting (tests). */
  get keys(): number {
    return this.#tails.size;
  }
}
