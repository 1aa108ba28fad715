import * as assert from 'node:assert/strict';
import type { Heatmap } from '../../../../src/trainer/science/types';

/** A map from row-major values. */
export function map(width: number, height: number, values: readonly number[]): Heatmap {
  assert.equal(values.length, width * height, 'fixture size');
  return { width, height, data: Float32Array.from(values) };
}

/** A map whose value at (x, y) is f(x, y). */
export function mapOf(width: number, height: number, f: (x: number, y: number) => number): Heatmap {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

/**
 * A Weyl sequence through murmur3's finaliser: seeded floats in [0, 1) so random baselines are reproducible.
 * (xorshift32 is too structured here: its argmax over 4096 draws is measurably non-uniform.)
 */
export function seeded(seed: number): () => number {
  let s = seed | 0;
  return (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export function assertClose(actual: number | null, expected: number, tolerance = 1e-6, what = 'value'): void {
  assert.ok(actual !== null, `${what} is null, expected ${expected}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

export function assertMapClose(actual: Heatmap, expected: readonly number[], tolerance = 1e-6): void {
  assert.equal(actual.data.length, expected.length, 'map size');
  expected.forEach((e, i) => assertClose(actual.data[i]!, e, tolerance, `pixel ${i}`));
}
