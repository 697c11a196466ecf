/** Bounds on what the parser accepts, so that a hostile message costs bounded time and memory. */
export interface ParseLimits {
  /** Largest input, in bytes (UTF-8 bytes for a string input). */
  maxBytes: number;
  /** Deepest nesting of JSON objects/arrays or XML elements. Real MedCom bundles nest about 12 deep. */
  maxDepth: number;
  /** Most entries in one Bundle. */
  maxEntries: number;
}

export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxDepth: 64,
  maxEntries: 10_000,
});

export function resolveLimits(overrides: Partial<ParseLimits> | undefined): ParseLimits {
  if (overrides === undefined) return DEFAULT_LIMITS;
  return { ...DEFAULT_LIMITS, ...overrides };
}
