/**
 * Seeded pseudo-random numbers. Splits and augmentation must be reproducible from a seed recorded
 * in a run's config, so nothing in the trainer calls Math.random.
 */

/** A source of uniform floats in [0, 1); each call advances the stream. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit state generator, fast and good enough for shuffling and augmentation
 * (not for cryptography). The seed is reduced to an unsigned 32-bit integer, so seeds that differ
 * only in their fractional part or by a multiple of 2^32 give the same stream.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A new seed derived from a seed and some stream ids (epoch, worker, purpose...), so independent
 * streams do not have to share one generator and stay reproducible when one of them is consumed
 * differently. Uses the murmur3 finaliser to mix: nearby inputs give unrelated seeds.
 */
export function deriveSeed(seed: number, ...streams: readonly number[]): number {
  let h = seed >>> 0;
  for (const s of streams) {
    h = Math.imul(h ^ (s >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** FNV-1a of a name, as a stream id: a parameter's random stream then depends on its name, not its place in a list. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A uniform integer in [0, maxExclusive). */
export function randomInt(random: Random, maxExclusive: number): number {
  if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
    throw new RangeError(`randomInt needs a positive integer bound, got ${maxExclusive}`);
  }
  return Math.floor(random() * maxExclusive);
}

/** A uniform float in [min, max). */
export function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** A standard normal draw (Box-Muller); 1 - u keeps the logarithm's argument in (0, 1]. */
export function gaussian(random: Random, mean = 0, std = 1): number {
  const u = 1 - random();
  const v = random();
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher-Yates shuffle of `items` in place; returns the same array for chaining. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** A shuffled copy; the input is left untouched. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  return shuffleInPlace([...items], random);
}
