/** Bounds on what the parser accepts, so that a hostile letter costs bounded time and memory. */
export interface ParseLimits {
  /** Largest input, in bytes (UTF-8 bytes for a string input). */
  maxBytes: number;
  /** Deepest element nesting. Real letters nest about 10 deep. */
  maxDepth: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxDepth: 64,
});

export function resolveLimits(overrides: Partial<ParseLimits> | undefined): ParseLimits {
  return { ...DEFAULT_PARSE_LIMITS, ...overrides };
}
