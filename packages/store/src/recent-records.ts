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
export class RecentRecords<S = never> {
  readonly #limit: number;
  readonly #values = new Map<string, { text: string; state?: S }>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): string | undefined {
    return this.#values.get(key)?.text;
  }

  /**
   * The state remembered with the record, if it was remembered with one and `text` is what was written: the
   * decoded form of `text` without decoding it again (the caller remembers only states that decode(encode())
   * gives back unchanged).
   */
  stateOf(key: string, text: string): S | undefined {
    const entry = this.#values.get(key);
    return entry !== undefined && entry.text === text ? entry.state : undefined;
  }

  /** Remembers what was written (null: deleted, so nothing to expect), with the state it encodes when given. */
  remember(key: string, value: string | null, state?: S): void {
    this.#values.delete(key);
    if (value === null || this.#limit <= 0) return;
    this.#values.set(key, state === undefined ? { text: value } : { text: value, state });
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
