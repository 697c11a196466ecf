/**
 * Runs tasks one at a time in the order they were handed over, whatever the outcome of the one before. The
 * tracker's PIPELINE consumer has many envelopes in hand (record-only ones are folded in batches beside them,
 * event-batcher.ts); the envelopes that carry business facts go through this one at a time, in the order the
 * consumer started their handlers — the stream's order — so a referral's transitions are applied in the order
 * they arrived, as when the consumer took one envelope at a time (docs/decisions/0113).
 */
export class InOrder {
  #tail: Promise<unknown> = Promise.resolve();

  /** Resolves or rejects as `task` does, once every task handed over before it has settled and it has run. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // The next task waits for this one to settle, not to succeed: a failed fold is retried by redelivery.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
