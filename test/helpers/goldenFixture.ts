/** Reading the golden fixtures of scripts/golden/ (fixture_io.py's layout) and comparing against them. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { numel } from '../../src/trainer/onnx/graph';

export interface FixtureEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

/** index.json, whose `tensors` place each tensor in tensors.bin (little-endian float32), and a reader by name. */
export function readGoldenFixture<I extends { readonly tensors: readonly FixtureEntry[] }>(
  dir: string,
): { index: I; tensor: (name: string) => Float32Array } {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as I;
  const bin = fs.readFileSync(path.join(dir, 'tensors.bin'));
  const tensor = (name: string): Float32Array => {
    const entry = index.tensors.find((t) => t.name === name);
    if (!entry) throw new Error(`fixture has no tensor "${name}"`);
    return Float32Array.from({ length: numel(entry.shape) }, (_, i) => bin.readFloatLE(entry.offset + 4 * i));
  };
  return { index, tensor };
}

/**
 * The golden tests' relative error: max_i |a_i − b_i| / max(|b_i|, floor·max|b|), so entries near zero are
 * measured against the tensor's scale.
 */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  assert.equal(a.length, b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  const denomFloor = Math.max(floor * scale, 1e-30);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), denomFloor));
  }
  return worst;
}
