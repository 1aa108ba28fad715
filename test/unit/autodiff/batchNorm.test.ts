import assert from 'node:assert/strict';
import { BatchNormEval, BatchNormTrain, runningStatUpdate } from '../../../src/trainer/autodiff/ops/batchNorm';
import { Graph } from '../../../src/trainer/onnx/graph';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

const [N, C, H, W] = [3, 4, 5, 6];
const EPS = 1e-5;

/** Per-channel mean and biased variance of (N,C,H,W) data, in float64. */
function channelStats(x: Float32Array): { mean: number[]; variance: number[] } {
  const m = N * H * W;
  const mean: number[] = [];
  const variance: number[] = [];
  for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let n = 0; n < N; n++) for (let k = 0; k < H * W; k++) vals.push(x[(n * C + c) * H * W + k]!);
    const mu = vals.reduce((a, b) => a + b, 0) / m;
    mean.push(mu);
    variance.push(vals.reduce((a, b) => a + (b - mu) ** 2, 0) / m);
  }
  return { mean, variance };
}

function normalise(x: Float32Array, gamma: Float32Array, beta: Float32Array, mean: readonly number[], variance: readonly number[]): Float32Array {
  return x.map((v, i) => {
    const c = Math.floor(i / (H * W)) % C;
    return ((v - mean[c]!) / Math.sqrt(variance[c]! + EPS)) * gamma[c]! + beta[c]!;
  });
}

describe('autodiff: batch normalisation', () => {
  const x = randn(N * C * H * W, 3, 2).map((v, i) => v + (Math.floor(i / (H * W)) % C) - 1);
  const gamma = randn(C, 5);
  const beta = randn(C, 6);

  it('BatchNormTrain normalises with the biased variance and reports the unbiased one', async () => {
    const { outputs: [y, mean, unbiased] } = await runOp(BatchNormTrain, [
      { shape: [N, C, H, W], data: x }, { shape: [C], data: gamma }, { shape: [C], data: beta },
    ], { epsilon: EPS });
    const ref = channelStats(x);
    const m = N * H * W;
    assert.ok(maxAbsDiff(mean!, ref.mean) < 1e-5);
    assert.ok(maxAbsDiff(unbiased!, ref.variance.map((v) => (v * m) / (m - 1))) < 1e-4);
    assert.ok(maxAbsDiff(y!, normalise(x, gamma, beta, ref.mean, ref.variance)) < 1e-4);
  });

  it('BatchNormTrain gradients (x, γ, β)', async () => {
    await gradCheck(BatchNormTrain, [{ shape: [N, C, H, W], data: x }, { shape: [C] }, { shape: [C] }], { epsilon: EPS }, { outputsToCheck: 1 });
    // Only dx, as for a frozen affine transform: the backward builds just what is needed.
    await gradCheck(BatchNormTrain, [{ shape: [N, C, H, W] }, { shape: [C], data: gamma, constant: true }, { shape: [C], data: beta, constant: true }], { epsilon: EPS }, { outputsToCheck: 1 });
  });

  it('BatchNormTrain refuses one value per channel, as torch does', () => {
    const g = new Graph();
    assert.throws(() => BatchNormTrain.forward(g, [g.input('x', 'float32', [1, 2, 1, 1]), g.input('g', 'float32', [2]), g.input('b', 'float32', [2])], { epsilon: EPS }), RangeError);
  });

  const runningMean = randn(C, 8, 0.5);
  const runningVar = randn(C, 9).map((v) => 0.5 + v * v);

  it('BatchNormEval uses the running statistics', async () => {
    const { outputs: [y] } = await runOp(BatchNormEval, [
      { shape: [N, C, H, W], data: x }, { shape: [C], data: gamma }, { shape: [C], data: beta },
      { shape: [C], data: runningMean }, { shape: [C], data: runningVar },
    ], { epsilon: EPS });
    assert.ok(maxAbsDiff(y!, normalise(x, gamma, beta, [...runningMean], [...runningVar])) < 1e-4);
  });

  it('BatchNormEval gradients (x, γ, β; none to the running statistics)', async () => {
    const errors = await gradCheck(BatchNormEval, [
      { shape: [N, C, H, W] }, { shape: [C] }, { shape: [C] },
      { shape: [C], data: runningMean, constant: true }, { shape: [C], data: runningVar, constant: true },
    ], { epsilon: EPS });
    assert.equal(errors.length, 3);
  });

  it('runningStatUpdate follows torch momentum 0.1', async () => {
    const g = new Graph();
    const running = g.input('running', 'float32', [C]);
    const stat = g.input('stat', 'float32', [C]);
    g.output(runningStatUpdate(g, running, stat), 'updated');
    const session = await createSession(toModelBytes(g));
    const r = Float32Array.from([1, 2, 3, 4]);
    const s = Float32Array.from([0, 10, -3, 4]);
    const out = (await session.run({ running: floatTensor(r, [C]), stat: floatTensor(s, [C]) }))['updated']!.data as Float32Array;
    await session.release();
    assert.ok(maxAbsDiff(out, [0.9, 2.8, 2.4, 4]) < 1e-6);
  });
});
