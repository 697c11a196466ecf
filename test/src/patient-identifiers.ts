// Independent of the hub's own scrubber (packages/observability), so a broken scrubber cannot hide its leak.

/**
 * Anything shaped like a CPR number: ten digits, optionally split 6+4 by a dash or a space, not part of a longer
 * run of letters or digits (a GLN, a letter id or a UUID segment). Deliberately wider than a real CPR (no date or
 * modulus check): a test that looks for leaks must not miss one for having a valid-looking day.
 */
const CPR_SHAPE = /(?<![A-Za-z0-9])\d{6}[- ]?\d{4}(?![A-Za-z0-9])/g;

/** Every CPR-shaped string anywhere in `value` (any field, any depth, keys included), as JSON spells it. */
export function cprShapesIn(value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return [...(text ?? "").matchAll(CPR_SHAPE)].map((match) => match[0]);
}
