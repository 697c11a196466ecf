/**
 * How long the gateway asks a refused caller to wait (`Retry-After`, whole seconds): the one owner of that
 * policy (docs/decisions/0057-overload-at-the-door.md).
 *
 * A fixed wait turns an overload into a retry storm: every waiting sender comes back each second, so refusals
 * grow with the number waiting (2,600 a second after a minute at 3×, measured) and refusing alone fills the
 * event loop. Here the wait follows the refusal rate: a level that doubles (1, 2, 4, 8, 15 s) in any second in
 * which more than REFUSAL_BUDGET_PER_SECOND refusals were made, and halves after each second with fewer than
 * half of that. With N senders waiting, N / level of them come back each second, so the level settles where
 * the returns are about the budget. Each answer is drawn uniformly from [level, 2 × level] (at most
 * RETRY_AFTER_MAX_SECONDS), so senders refused together do not return together.
 */

/** Never less: the first refusal of a quiet gateway asks for one second. */
export const RETRY_AFTER_MIN_SECONDS = 1;
/** Never more: the SDK waits for at most 30 s by default (packages/client `maxRetryAfterMs`). */
export const RETRY_AFTER_MAX_SECONDS = 30;
/** The level's ceiling: answers are drawn up to twice the level, so at most RETRY_AFTER_MAX_SECONDS. */
const MAX_LEVEL = Math.floor(RETRY_AFTER_MAX_SECONDS / 2);
/**
 * Refusals a second the gateway accepts spending: each costs a connection, a parsed request head and a short
 * answer, about a tenth of a millisecond, so this is a few percent of one core.
 */
export const REFUSAL_BUDGET_PER_SECOND = 100;
const WINDOW_MS = 1_000;

export interface RetryAfterPolicyOptions {
  now?: () => number;
  /** A number in [0, 1) (default Math.random): the jitter. */
  random?: () => number;
  budgetPerSecond?: number;
}

export class RetryAfterPolicy {
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #budget: number;
  #level = RETRY_AFTER_MIN_SECONDS;
  #windowStart: number;
  #refusedInWindow = 0;
  #raisedInWindow = false;

  constructor(options: RetryAfterPolicyOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#budget = options.budgetPerSecond ?? REFUSAL_BUDGET_PER_SECOND;
    this.#windowStart = this.#now();
  }

  /** The wait now asked for before jitter (for `/metrics`). */
  level(): number {
    this.#roll();
    return this.#level;
  }

  /** Counts one refusal and answers the seconds its `Retry-After` says. */
  refused(): number {
    this.#roll();
    this.#refusedInWindow++;
    if (!this.#raisedInWindow && this.#refusedInWindow > this.#budget) {
      this.#level = Math.min(MAX_LEVEL, this.#level * 2);
      this.#raisedInWindow = true;
    }
    const spread = Math.floor(this.#random() * (this.#level + 1));
    return Math.min(RETRY_AFTER_MAX_SECONDS, this.#level + spread);
  }

  /** Closes the windows that have passed: each quiet one (under half the budget) halves the level. */
  #roll(): void {
    const elapsed = this.#now() - this.#windowStart;
    if (elapsed < WINDOW_MS) return;
    const windows = Math.floor(elapsed / WINDOW_MS);
    // The window just closed counts as quiet when it was; every later one saw no refusal at all.
    const quiet = (this.#refusedInWindow < this.#budget / 2 ? 1 : 0) + (windows - 1);
    this.#level = Math.max(RETRY_AFTER_MIN_SECONDS, Math.floor(this.#level / 2 ** Math.min(quiet, 8)));
    this.#windowStart += windows * WINDOW_MS;
    this.#refusedInWindow = 0;
    this.#raisedInWindow = false;
  }
}
