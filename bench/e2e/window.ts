/** At most `size` promises in flight: `await acquire()` before starting one, `release()` when it settles. */
export class Window {
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  async acquire(): Promise<void> {
    while (this.#inFlight >= this.size) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#inFlight++;
  }

  release(): void {
    this.#inFlight--;
    this.#waiters.shift()?.();
  }

  /** Resolves once nothing is in flight. */
  async drained(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** Absolute wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();
