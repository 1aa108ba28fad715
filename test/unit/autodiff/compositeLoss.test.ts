import assert from 'node:assert/strict';
import type { CompositeLoss } from '../../../src/trainer/autodiff/compositeLoss';
import { compositeLoss } from '../../../src/trainer/autodiff/compositeLoss';
import type { DiffOp } from '../../../src/trainer/autodiff/tape';
import { Tape } from '../../../src/trainer/autodiff/tape';
import type { Tensor } from '../../../src/trainer/onnx/graph';
import { Graph } from '../../../src/trainer/onnx/graph';
import { gradCheck, randn } from '../../helpers/gradcheck';
import type { OpInput } from '../../helpers/runOp';
import { runOp } from '../../helpers/runOp';

/**
 * compositeLoss as one op with inputs [logits, labels, F1, F2, auMaps, valid] and outputs [total, ce, align]:
 * its backward runs the loss's own tape, so gradCheck and runOp can drive it.
 */
const CompositeLossOp: DiffOp<{ lambda: number }, { tape: Tape; loss: CompositeLoss }> = {
  name: 'CompositeLoss',
  forward: (g, [logits, labels, f1, f2, auMaps, auValid], { lambda }) => {
    const tape = new Tape(g);
    const loss = compositeLoss(tape, { logits: logits!, labels: labels!, attentions: [f1!, f2!], auMaps: auMaps!, auValid: auValid!, lambda });
    return { outputs: [loss.total, loss.ce, loss.align], saved: { tape, loss } };
  },
  backward: (_g, { inputs, saved: { tape, loss } }, outGrads, needed) => {
    const seeds = [loss.total, loss.ce, loss.align].flatMap((output, k) => (outGrads[k] ? [{ output, grad: outGrads[k]! }] : []));
    const wrt = inputs.filter((_, i) => needed[i]);
    const grads = tape.vectorJacobian(seeds, wrt);
    return inputs.map((t: Tensor) => grads.get(t.name));
  },
};

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0));

/** The deterministic inputs the torch reference was computed from: s·sin(a·i + b). */
function wave(n: number, a: number, b: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => s * Math.sin(a * i + b));
}

const labels = (...ys: number[]): BigInt64Array => BigInt64Array.from(ys.map(BigInt));

function randomInputs(seed: number): OpInput[] {
  return [
    { shape: [4, 7], data: randn(28, seed) },
    { shape: [4], data: labels(1, 0, 6, 3) },
    { shape: [4, 3, 8, 8], data: randn(4 * 3 * 64, seed + 1).map((v) => Math.max(v, 0)) },
    { shape: [4, 5, 4, 4], data: randn(4 * 5 * 16, seed + 2) },
    { shape: [4, 1, 20, 20], data: randn(4 * 400, seed + 3).map(Math.abs) },
    { shape: [4], data: Float32Array.from([1, 0, 1, 1]) },
  ];
}

describe('autodiff: composite loss', () => {
  it('matches the peer composite_loss (torch 1.13, mean over two layers, λ = 4)', async () => {
    const inputs: OpInput[] = [
      { shape: [3, 7], data: wave(21, 1.3, 0.2, 2) },
      { shape: [3], data: labels(2, 0, 5) },
      { shape: [3, 4, 6, 6], data: wave(3 * 4 * 36, 0.37, 0.5).map((v) => Math.max(v, 0)) },
      { shape: [3, 2, 3, 3], data: wave(3 * 2 * 9, 0.61, 0.9) },
      { shape: [3, 1, 12, 12], data: wave(3 * 144, 0.05, 0.4).map(Math.abs) },
      { shape: [3], data: Float32Array.from([1, 0, 1]) },
    ];
    const { outputs: [total, ce, align], grads: [dLogits, dF1, dF2] } = await runOp(CompositeLossOp, inputs, { lambda: 4 }, [0, 2, 3]);
    const close = (got: number, want: number): void => assert.ok(Math.abs(got - want) < 2e-6 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
    close(total![0]!, 4.665538787841797);
    close(ce![0]!, 2.648637056350708);
    close(align![0]!, 0.5042254328727722);
    close(norm(dLogits!), 0.6181289553642273);
    close(norm(dF1!), 0.2056969553232193);
    close(norm(dF2!), 0.4574909210205078);
  });

  for (const lambda of [4, 0.5, 0]) {
    it(`total = ce + λ·align, λ = ${lambda}`, async () => {
      const { outputs: [total, ce, align] } = await runOp(CompositeLossOp, randomInputs(31), { lambda });
      assert.ok(align![0]! > 0);
      assert.ok(Math.abs(total![0]! - (ce![0]! + lambda * align![0]!)) < 1e-5);
    });
  }

  it('gradient of the total wrt logits and both stage outputs', async () => {
    const inputs = randomInputs(41).map((inp, i) => ({ ...inp, constant: i === 4 || i === 5 }));
    const errors = await gradCheck(CompositeLossOp, inputs, { lambda: 4 }, { outputsToCheck: 1 });
    assert.equal(errors.length, 3);
  });

  it('λ = 0: the alignment is computed but sends no gradient to the stage outputs', () => {
    const g = new Graph();
    const tape = new Tape(g);
    const f = g.input('f', 'float32', [2, 3, 4, 4]);
    const logits = g.input('logits', 'float32', [2, 7]);
    const loss = compositeLoss(tape, {
      logits, labels: g.input('y', 'int64', [2]), attentions: [f], auMaps: g.input('au', 'float32', [2, 1, 8, 8]),
      auValid: g.input('valid', 'float32', [2]), lambda: 0,
    });
    assert.notEqual(loss.total.name, loss.ce.name);
    const grads = tape.gradients(loss.total, [logits, f]);
    assert.ok(grads.has(logits.name));
    assert.equal(grads.has(f.name), false);
  });
});
