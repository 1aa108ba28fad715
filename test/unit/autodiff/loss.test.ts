import assert from 'node:assert/strict';
import { CosineAlignment, SoftmaxCrossEntropy } from '../../../src/trainer/autodiff/ops/loss';
import { gradCheck, randn } from '../../helpers/gradcheck';
import { maxAbsDiff, runOp } from '../../helpers/runOp';

/** The deterministic inputs the torch references below were computed from: s·sin(a·i + b). */
function wave(n: number, a: number, b: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => s * Math.sin(a * i + b));
}

const labels = (...ys: number[]): BigInt64Array => BigInt64Array.from(ys.map(BigInt));

describe('autodiff: losses', () => {
  describe('SoftmaxCrossEntropy', () => {
    it('matches torch F.cross_entropy and its gradient', async () => {
      // torch 1.13: logits = 2·sin(1.7 i + 0.3) as (3, 4), y = [2, 0, 3].
      const { outputs: [ce], grads: [dLogits] } = await runOp(SoftmaxCrossEntropy, [
        { shape: [3, 4], data: wave(12, 1.7, 0.3, 2) }, { shape: [3], data: labels(2, 0, 3) },
      ], undefined, [0]);
      assert.ok(Math.abs(ce![0]! - 1.940134048461914) < 1e-6);
      const torchGrad = [0.070578932762146, 0.2408769130706787, -0.3197883367538452, 0.008332489058375359, -0.15821020305156708,
        0.13128699362277985, 0.0070157661102712154, 0.019907426089048386, 0.23979376256465912, 0.042575180530548096,
        0.004646969493478537, -0.2870159149169922];
      assert.ok(maxAbsDiff(dLogits!, torchGrad) < 1e-6);
    });

    it('gradient', async () => {
      await gradCheck(SoftmaxCrossEntropy, [{ shape: [5, 7] }, { shape: [5], data: labels(0, 6, 3, 3, 1) }], undefined);
    });

    it('with per-sample weights: Σ wᵢ·nllᵢ, as F.cross_entropy(weight=c) with wᵢ = c[yᵢ] / Σ c[yⱼ]', async () => {
      const logits = wave(12, 1.7, 0.3, 2);
      const ys = [2, 0, 3];
      const c = [1, 0.5, 3, 2];
      const sum = ys.reduce((a, y) => a + c[y]!, 0);
      const w = ys.map((y) => c[y]! / sum);
      // Plain-JS reference: log-softmax per row, then the weighted sum of −log p[y]; gradient wᵢ·(softmax − onehot).
      let ce = 0;
      const grad: number[] = [];
      ys.forEach((y, i) => {
        const row = Array.from(logits.subarray(4 * i, 4 * i + 4));
        const max = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
        ce += w[i]! * -(row[y]! - max - Math.log(z));
        row.forEach((v, k) => grad.push(w[i]! * (Math.exp(v - max) / z - (k === y ? 1 : 0))));
      });
      const { outputs: [out], grads: [dLogits] } = await runOp(SoftmaxCrossEntropy, [
        { shape: [3, 4], data: logits }, { shape: [3], data: labels(...ys) }, { shape: [3], data: Float32Array.from(w) },
      ], undefined, [0]);
      assert.ok(Math.abs(out![0]! - ce) < 1e-6, `${out![0]} vs ${ce}`);
      assert.ok(maxAbsDiff(dLogits!, grad) < 1e-6);
      // Equal weights are the plain mean.
      const equal = await runOp(SoftmaxCrossEntropy, [
        { shape: [3, 4], data: logits }, { shape: [3], data: labels(...ys) }, { shape: [3], data: Float32Array.from([1 / 3, 1 / 3, 1 / 3]) },
      ], undefined, [0]);
      assert.ok(Math.abs(equal.outputs[0]![0]! - 1.940134048461914) < 1e-6);
      await gradCheck(SoftmaxCrossEntropy, [
        { shape: [5, 7] }, { shape: [5], data: labels(0, 6, 3, 3, 1) }, { shape: [5], data: Float32Array.from([0.1, 0.3, 0.2, 0.2, 0.2]), constant: true },
      ], undefined);
    });
  });

  describe('CosineAlignment', () => {
    const shape = [4, 5, 6];
    const target = randn(4 * 30, 21).map(Math.abs);

    it('matches the peer (torch F.cosine_similarity, masked mean) and its gradient', async () => {
      // torch 1.13: attention = sin(0.9 i + 0.1), target = |sin(2.3 i + 0.7)| as (3, 2, 3), valid = [1, 0, 1].
      const { outputs: [loss], grads: [dA] } = await runOp(CosineAlignment, [
        { shape: [3, 2, 3], data: wave(18, 0.9, 0.1) }, { shape: [3, 2, 3], data: wave(18, 2.3, 0.7).map(Math.abs) },
        { shape: [3], data: Float32Array.from([1, 0, 1]) },
      ], undefined, [0]);
      assert.ok(Math.abs(loss![0]! - 0.7736241817474365) < 1e-6);
      const torchGrad = [-0.11578166484832764, 0.010186996310949326, -0.11412786692380905, -0.1659349650144577, -0.10828708857297897,
        -0.10989117622375488, 0, 0, 0, 0, 0, 0, -0.034480851143598557, -0.14576275646686554, -0.16667799651622772,
        -0.07670403271913528, -0.005638660863041878, -0.13867196440696716];
      assert.ok(maxAbsDiff(dA!, torchGrad) < 1e-6);
    });

    it('clamps each norm at 1e-8 on its own, as torch 1.13 does', async () => {
      // Measured in torch 1.13: an all-zero attention has cos 0 and gradient t/(1e-8·‖t‖); two vectors of norm
      // 1e-5 (product 1e-10 < 1e-8) still have cos 1.
      const zero = await runOp(CosineAlignment, [
        { shape: [1, 2, 2], data: new Float32Array(4) }, { shape: [1, 2, 2], data: Float32Array.from([1, 2, 3, 4]) },
        { shape: [1], data: Float32Array.from([1]) },
      ], undefined, [0]);
      assert.equal(zero.outputs[0]![0], 1);
      [-18257418, -36514836, -54772252, -73029672].forEach((v, i) => assert.ok(Math.abs(zero.grads[0]![i]! / v - 1) < 1e-5));
      const tiny = Float32Array.from([1e-5, 0, 0, 0]);
      const small = await runOp(CosineAlignment, [
        { shape: [1, 2, 2], data: tiny }, { shape: [1, 2, 2], data: tiny }, { shape: [1], data: Float32Array.from([1]) },
      ], undefined);
      assert.ok(Math.abs(small.outputs[0]![0]!) < 1e-6);
    });

    it('gradient, with an invalid sample', async () => {
      const errors = await gradCheck(CosineAlignment, [
        { shape }, { shape, data: target, constant: true }, { shape: [4], data: Float32Array.from([1, 0, 1, 1]), constant: true },
      ], undefined);
      assert.equal(errors.length, 1);
    });

    it('all samples invalid: loss 0 and gradient 0', async () => {
      const valid = new Float32Array(4);
      const { outputs: [loss], grads: [dA] } = await runOp(CosineAlignment, [
        { shape, data: randn(120, 22) }, { shape, data: target }, { shape: [4], data: valid },
      ], undefined, [0]);
      assert.equal(loss![0], 0);
      assert.ok(dA!.every((v) => v === 0));
      await gradCheck(CosineAlignment, [{ shape }, { shape, data: target, constant: true }, { shape: [4], data: valid, constant: true }], undefined);
    });
  });
});
