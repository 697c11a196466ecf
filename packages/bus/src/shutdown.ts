/**
 * Runs `fn` (typically `() => bus.drain()`) once on the first of `signals`, then exits: 0 when it
 * finished, 1 when it threw or took longer than `timeoutMs`. A second signal exits at once.
 * Returns a function that removes the listeners (tests, or a host that owns the process).
 */
export function onShutdown(
  signals: readonly NodeJS.Signals[],
  fn: () => Promise<void>,
  options: { timeoutMs?: number; exit?: (code: number) => void } = {},
): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let shuttingDown = false;
  const listener = (): void => {
    if (shuttingDown) {
      exit(1);
      return;
    }
    shuttingDown = true;
    const timer = setTimeout(() => exit(1), timeoutMs);
    timer.unref();
    fn().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      () => {
        clearTimeout(timer);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}
