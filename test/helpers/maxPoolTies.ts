/**
 * PyTorch's max_pool2d gradients on inputs with tied maxima (scripts/golden/make_maxpool_ties_fixture.py), and our
 * MaxPool2d's, built for a device's form and run on an engine: autodiff/pool.test.ts runs both forms on the CPU,
 * test/webgpu the WebGPU form on WebGPU.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MaxPool2d } from '../../src/trainer/autodiff/ops/pool';
import { Tape } from '../../src/trainer/autodiff/tape';
import type { Device } from '../../src/trainer/onnx/deviceNames';
import { Graph } from '../../src/trainer/onnx/graph';
import type { PoolOptions } from '../../src/trainer/onnx/ops';
import { toModelBytes } from '../../src/trainer/onnx/serialize';
import type { EngineOptions } from '../../src/trainer/onnx/session';
import { createSession, floatTensor } from '../../src/trainer/onnx/session';
import { repoRoot } from './paths';

export interface TieCase {
  readonly name: string;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly shape: number[];
  readonly x: number[];
  readonly dy: number[];
  readonly y: number[];
  readonly dx: number[];
}

export function tieCases(): TieCase[] {
  const file = path.join(repoRoot, 'test', 'fixtures', 'golden', 'maxpool-ties', 'cases.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: TieCase[] }).cases;
}

export function poolOptions(c: TieCase): PoolOptions {
  return { kernel: c.kernel, strides: c.stride, pads: [c.padding[0], c.padding[1], c.padding[0], c.padding[1]] };
}

/** y and dX of max-pooling x for the upstream gradient dy, in the form built for `device`, run on `engine`. */
export async function poolGradient(x: Float32Array, shape: readonly number[], o: PoolOptions, dy: Float32Array, device: Device, engine: EngineOptions = {}): Promise<{ y: Float32Array; dx: Float32Array }> {
  const g = new Graph('pool_gradient', device);
  const tape = new Tape(g);
  const input = g.input('x', 'float32', shape);
  const y = tape.apply1(MaxPool2d, [input], o);
  g.output(y, 'y');
  g.output(tape.gradients(y, [input], g.constant(dy, y.shape)).get(input.name)!, 'dx');
  const session = await createSession(toModelBytes(g), engine);
  try {
    const out = await session.run({ x: floatTensor(x, shape) });
    return { y: out['y']!.data as Float32Array, dx: out['dx']!.data as Float32Array };
  } finally {
    await session.release();
  }
}
