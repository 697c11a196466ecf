// A progress line for long operations (rebuild, redrive) on stderr, never stdout: stdout carries only the result
// (and --json). On a terminal it is one line rewritten in place; with --progress and no terminal (a log, a test),
// a line at most every interval, always the last one, so the end state is on record.

export interface ProgressLine {
  /** The current state; `final` (everything done) is always written. */
  update(text: string, final?: boolean): void;
  /** Ends the line on a terminal (the result that follows starts on its own line). */
  end(): void;
}

export interface ProgressOptions {
  /** Where the lines go: the CLI's stderr. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** `--progress`: also when stderr is not a terminal. */
  requested: boolean;
  intervalMs?: number;
  now?: () => number;
}

const SILENT: ProgressLine = { update: () => {}, end: () => {} };

export function progressLine(options: ProgressOptions): ProgressLine {
  const tty = options.stderr.isTTY === true;
  if (!tty && !options.requested) return SILENT;
  const intervalMs = options.intervalMs ?? 250;
  const now = options.now ?? Date.now;
  let lastAt: number | undefined;
  let written = false;
  return {
    update(text, final = false) {
      const at = now();
      if (!final && lastAt !== undefined && at - lastAt < intervalMs) return;
      lastAt = at;
      written = true;
      options.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
    },
    end() {
      if (tty && written) options.stderr.write("\n");
      written = false;
    },
  };
}
