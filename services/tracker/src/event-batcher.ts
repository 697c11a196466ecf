import { isCarehubError } from "@carehub/schemas";

/** Writes a batch of changes; the tracker's is foldChanges (lifecycle events and record-only envelopes). */
export type FoldBatch<T> = (changes: readonly T[]) => Promise<void>;

interface Waiting<T> {
  event: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the lifecycle events the EVENTS consumer has in hand (and the record-only envelope PIPELINE's consumer
 * has, envelope-handler.ts) and folds them together: each handler hands its event over and waits until the batch
 * it landed in is written, so the bus acks an event only after its
 * write (a crash before that means redelivery, and folding is idempotent). A batch closes when `maxBatch`
 * events wait or at the end of the current turn of the event loop, whichever comes first: the events pulled
 * together go together, and a lone event waits no longer than one turn.
 *
 * A batch that fails with a retryable error (Redis away) fails every event in it: each is retried. One that
 * fails permanently (say one record cannot be decoded) is folded again event by event, so only the event that
 * cannot be folded is dead-lettered, not its neighbours.
 */
export class EventBatcher<T> {
  readonly #fold: FoldBatch<T>;
  readonly #maxBatch: number;
  #waiting: Waiting<T>[] = [];
  #scheduled = false;

  constructor(fold: FoldBatch<T>, maxBatch: number) {
    this.#fold = fold;
    this.#maxBatch = Math.max(1, maxBatch);
  }

  /** Resolves once the event is folded into the read model. */
  fold(event: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ event, resolve, reject });
      if (this.#waiting.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length > 0) void this.#write(batch);
  };

  async #write(batch: readonly Waiting<T>[]): Promise<void> {
    try {
      await this.#fold(batch.map((w) => w.event));
    } catch (error) {
      // Anything but a retryable error may be one event's fault: find out which.
      const permanent = !(isCarehubError(error) && error.retryable);
      if (!permanent || batch.length === 1) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      for (const waiting of batch) {
        try {
          await this.#fold([waiting.event]);
          waiting.resolve();
        } catch (single) {
          waiting.reject(single);
        }
      }
      return;
    }
    for (const waiting of batch) waiting.resolve();
  }
}
