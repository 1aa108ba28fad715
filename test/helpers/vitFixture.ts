/**
 * The vit64 golden fixture (scripts/golden/make_vit64_fixture.py): its index, and the weights' and images' exact
 * integer pattern (vit64_torch.fixed_value) recomputed here, so the fixture stores neither.
 */
import * as path from 'node:path';
import type { FixtureEntry } from './goldenFixture';
import { repoRoot } from './paths';

export interface LossTerms { readonly loss: number; readonly ce: number; readonly align: number }
export type Variant = 'grid' | 'cls';
/** A parameter's fixed values: base + scale·fixedValues(n, its index). */
export interface FixedParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly base: number;
  readonly scale: number;
}
/** Σ g·r over a whole gradient, and its scale Σ |g·r|. */
export interface Projection { readonly sum: number; readonly abs: number }

export interface VitFixture {
  readonly arch: Readonly<Record<string, number>>;
  readonly numClasses: number;
  readonly batch: number;
  readonly lambda: number;
  readonly imageStream: number;
  readonly projectionStream: number;
  readonly sample: number;
  readonly labels: readonly number[];
  readonly params: readonly FixedParam[];
  readonly steps: readonly LossTerms[];
  readonly cls: LossTerms;
  readonly projections: Readonly<Record<Variant, Readonly<Record<string, Projection>>>>;
  readonly optimizer: {
    readonly lrs: readonly number[];
    readonly momentum: number;
    readonly nesterov: boolean;
    readonly weightDecay: number;
  };
  readonly tensors: readonly FixtureEntry[];
}

export const VIT_FIXTURE_DIR = path.join(repoRoot, 'test', 'fixtures', 'golden', 'vit64-step');

/** vit64_torch.fixed_value: (lowbias32(i + (k + 1)·0x9e3779b1) >> 16) / 2^15 − 1, exact in float32. */
export function fixedValues(n: number, k: number, base = 0, scale = 1): Float32Array {
  const offset = Math.imul(k + 1, 0x9e3779b1) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = (i + offset) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    out[i] = base + scale * ((x >>> 16) / 32768 - 1);
  }
  return out;
}

/** The fixture's sampled positions of a tensor of n values, parameter index k (make_vit64_fixture.sample_indices). */
export function sampleIndices(n: number, k: number, sample: number): number[] {
  if (n <= 2 * sample) return Array.from({ length: n }, (_, i) => i);
  const s = Math.floor(n / sample);
  return Array.from({ length: sample }, (_, j) => j * s + ((j * 7919 + k) % s));
}

