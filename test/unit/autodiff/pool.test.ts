import assert from 'node:assert/strict';
import { GlobalAvgPool, MaxPool2d } from '../../../src/trainer/autodiff/ops/pool';
import { onnx } from 'onnx-proto';
import { buildInference } from '../../../src/trainer/graphs/inference';
import { initParams, paramSpecs } from '../../../src/trainer/models/params';
import { numel } from '../../../src/trainer/onnx/graph';
import type { PoolOptions } from '../../../src/trainer/onnx/ops';
import { mulberry32, shuffled } from '../../../src/trainer/science/random';
import { gradCheck } from '../../helpers/gradcheck';
import { poolGradient, poolOptions, tieCases } from '../../helpers/maxPoolTies';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

/** The ResNet stem's pooling. */
const STEM: PoolOptions = { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };

/**
 * Distinct values 0.1 apart in random order: no ties, so the argmax is unique and finite differences with
 * eps·|v| ≪ 0.05 never move it.
 */
function tieFree(shape: readonly number[], seed: number): Float32Array {
  const n = numel(shape);
  const order = shuffled(Array.from({ length: n }, (_, i) => i), mulberry32(seed));
  return Float32Array.from(order, (k) => 0.1 * (k - n / 2));
}

/** Plain-JS max pooling: outputs, and how many windows each input position wins (dX for dY = 1). */
function referenceMaxPool(x: Float32Array, [n, c, h, w]: readonly number[], o: PoolOptions): { y: number[]; wins: number[] } {
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.strides;
  const [pt, pl, pb, pr] = o.pads;
  const ho = Math.floor((h! + pt + pb - kh) / sh) + 1;
  const wo = Math.floor((w! + pl + pr - kw) / sw) + 1;
  const y: number[] = [];
  const wins = new Array<number>(x.length).fill(0);
  for (let plane = 0; plane < n! * c!; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        let best = -1;
        for (let a = i * sh - pt; a < i * sh - pt + kh; a++) {
          for (let b = j * sw - pl; b < j * sw - pl + kw; b++) {
            if (a < 0 || b < 0 || a >= h! || b >= w!) continue;
            const k = (plane * h! + a) * w! + b;
            if (best < 0 || x[k]! > x[best]!) best = k;
          }
        }
        y.push(x[best]!);
        wins[best]!++;
      }
    }
  }
  return { y, wins };
}

const TIES = tieCases();

// The CPU's form (MaxPool indices, ScatterElements) and WebGPU's (first-maximum routing), both run on the CPU here;
// test/webgpu runs the WebGPU form on WebGPU.
for (const device of ['cpu', 'webgpu'] as const) {
  describe(`autodiff: MaxPool2d, the form built for ${device}`, () => {
    it('3×3 stride 2 pad 1 (ResNet stem) against finite differences, odd and even sizes', async () => {
      for (const shape of [[2, 3, 7, 8], [1, 2, 6, 6]]) {
        for (const seed of [1, 2]) {
          await gradCheck(MaxPool2d, [{ shape, data: tieFree(shape, seed) }], STEM, { eps: 1e-3, tol: 1e-3, seed, device });
        }
      }
    });

    it('2×2 stride 2 and 3×3 stride 1 against finite differences', async () => {
      const shape = [1, 2, 6, 7];
      await gradCheck(MaxPool2d, [{ shape, data: tieFree(shape, 3) }], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { eps: 1e-2, tol: 1e-3, seed: 3, device });
      await gradCheck(MaxPool2d, [{ shape, data: tieFree(shape, 4) }], { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, { eps: 1e-2, tol: 1e-3, seed: 4, device });
    });

    it('adds the gradients of overlapping windows that share a maximum', async () => {
      // The centre of a 3×3 image lies in all four 3×3 s2 p1 windows; make it the maximum.
      const x = Float32Array.from([1, 2, 3, 4, 9, 5, 6, 7, 8]);
      const { outputs: [y], grads: [dx] } = await runOp(MaxPool2d, [{ shape: [1, 1, 3, 3], data: x }], STEM, [0], device);
      assert.deepEqual([...y!], [9, 9, 9, 9]);
      assert.deepEqual([...dx!], [0, 0, 0, 0, 4, 0, 0, 0, 0]);
    });

    it('routes each gradient to its own batch item and channel', async () => {
      const shape = [2, 3, 7, 6];
      const x = tieFree(shape, 5);
      const { outputs: [y], grads: [dx] } = await runOp(MaxPool2d, [{ shape, data: x }], STEM, [0], device);
      const ref = referenceMaxPool(x, shape, STEM);
      assert.ok(maxAbsDiff(y!, ref.y) === 0);
      assert.deepEqual([...dx!], ref.wins);
    });

    it('routes a window of tied maxima to its first one, as PyTorch does (zeros after a ReLU, padding never wins)', async () => {
      for (const c of TIES) {
        const { y, dx } = await poolGradient(Float32Array.from(c.x), c.shape, poolOptions(c), Float32Array.from(c.dy), device);
        assert.deepEqual([...y], c.y, `${c.name}: forward`);
        assert.deepEqual([...dx], c.dx, `${c.name}: gradient`);
      }
    });
  });
}

describe('autodiff: MaxPool2d graphs', () => {
  it('asks MaxPool for indices only in the backward: an inference graph has none (ORT\'s WebGPU provider lacks them)', () => {
    const { model } = buildInference({ preset: 'resnet18', numClasses: 7, batch: 1 }, initParams(paramSpecs('resnet18', 7), 0));
    const pools = (onnx.ModelProto.decode(model).graph?.node ?? []).filter((n) => n.opType === 'MaxPool');
    assert.equal(pools.length, 1);
    assert.equal(pools[0]?.output?.length, 1);
  });
});

describe('autodiff: GlobalAvgPool', () => {
  it('averages over H and W into (N, C)', async () => {
    const x = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    const { outputs: [y] } = await runOp(GlobalAvgPool, [{ shape: [2, 2, 2, 3], data: x }], undefined);
    // Each (n, c) plane holds 6 consecutive integers starting at 6·(2n + c).
    assert.deepEqual([...y!], [2.5, 8.5, 14.5, 20.5]);
  });

  it('against finite differences', async () => {
    for (const seed of [7, 8]) await gradCheck(GlobalAvgPool, [{ shape: [2, 3, 4, 5] }], undefined, { tol: 1e-3, seed });
  });
});
