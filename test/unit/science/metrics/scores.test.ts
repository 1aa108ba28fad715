import assert from 'node:assert/strict';
import { argmax, softmax } from '../../../../src/trainer/science/metrics/scores';

describe('scores', () => {
  it('argmax takes the first maximum, as torch.argmax', () => {
    assert.equal(argmax(Float32Array.of(1, 3, 3, 2)), 1);
    assert.equal(argmax([5]), 0);
  });
  it('softmax sums to 1 and survives large logits', () => {
    const p = softmax(Float32Array.of(1000, 1000, 998));
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(Math.abs(p[0]! - 1 / (2 + Math.exp(-2))) < 1e-12);
  });
});
