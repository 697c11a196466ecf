/**
 * The records this store wrote last, by key: what a compare-and-set can expect without reading first.
 *
 * A message's record is written four or five times within a moment (received, envelope, routed, delivered,
 * acknowledged), each time read then compare-and-set: two round trips. Most writes follow this process's own
 * previous write, so the value it wrote is what Redis holds; expecting it saves the read. It is only ever an
 * expectation: the compare-and-set script still compares with what Redis holds, and a stale entry (another
 * tracker copy wrote, the record expired or was swept) fails it, after which the caller reads Redis and
 * forgets the entry. Bounded: the oldest entries go first.
 */
export class RecentRecords {
  readonly #limit: number;
  readonly #values = new Map<string, string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  /** Remembers what was written (null: deleted, so nothing to expect). */
  remember(key: string, value: string | null): void {
    this.#values.delete(key);
    if (value === null || this.#limit <= 0) return;
    this.#values.set(key, value);
    if (this.#values.size > this.#limit) {
      const oldest = this.#values.keys().next().value;
      if (oldest !== undefined) this.#values.delete(oldest);
    }
  }

  forget(key: string): void {
    this.#values.delete(key);
  }

  clear(): void {
    this.#values.clear();
  }
}
