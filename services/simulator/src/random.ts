/**
 * The simulator's only source of randomness: a seeded PRNG (mulberry32), so that a seed replays the same
 * simulation. Independent streams are forked by label (e.g. per endpoint, per received message), so that
 * adding a draw in one place does not shift every other decision.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  /** A version-4-shaped UUID drawn from this stream. */
  uuid(): string;
  /** `length` random digits. */
  digits(length: number): string;
  /** A new independent stream derived from this stream's seed and a label. */
  fork(label: string): Random;
}

/** A 32-bit hash of a string (FNV-1a followed by a murmur3 finaliser), to turn labels into seeds. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createRandom(seed: number | string): Random {
  const base = typeof seed === "number" ? seed >>> 0 : hash32(seed);
  let state = base;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick(items) {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    weighted(entries) {
      const total = entries.reduce((sum, [, weight]) => sum + Math.max(0, weight), 0);
      let point = next() * total;
      for (const [value, weight] of entries) {
        point -= Math.max(0, weight);
        if (point < 0) return value;
      }
      const last = entries[entries.length - 1];
      if (last === undefined) throw new Error("weighted pick from an empty list");
      return last[0];
    },
    uuid() {
      const hex: string[] = [];
      for (let i = 0; i < 4; i++)
        hex.push(
          Math.floor(next() * 4294967296)
            .toString(16)
            .padStart(8, "0"),
        );
      const h = hex.join("");
      const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    digits(length) {
      let out = "";
      for (let i = 0; i < length; i++) out += Math.floor(next() * 10).toString();
      return out;
    },
    fork: (label) => createRandom(hash32(label, base)),
  };
  return random;
}
