/**
 * The translation on a graph the peer fixture lacks: AveragePool (as a depthwise convolution) and a MatMul head.
 * Logits equal ONNX Runtime's on the file itself; the gradient at the layer before the pooling is the closed form
 * d logit[c] / dA = W[:, c] / (H·W), because GAP(AveragePool₂ₓ₂(A)) = GAP(A) on an even grid.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { Graph } from '../../../src/trainer/onnx/graph';
import { conv, globalAveragePool, matmul, unary } from '../../../src/trainer/onnx/ops';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { mulberry32 } from '../../../src/trainer/science/random';
import { useTempDir } from './fixture';

const random = (n: number, seed: number): Float32Array => {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

function pooledClassifier(): { bytes: Uint8Array; layer: string; pooled: string; head: Float32Array } {
  const g = new Graph('pooled');
  const x = g.input('pixels', 'float32', [1, 3, 16, 16]);
  const a = unary(g, 'Relu', conv(g, x, g.constant(random(8 * 3 * 9, 1), [8, 3, 3, 3]), g.constant(random(8, 2), [8]), { pads: [1, 1, 1, 1] }));
  const pooled = g.node('AveragePool', [a], [{ dtype: 'float32', shape: [1, 8, 8, 8] }], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } })[0]!;
  const flat = g.node('Flatten', [globalAveragePool(g, pooled)], [{ dtype: 'float32', shape: [1, 8] }], { axis: { i: 1 } })[0]!;
  const head = random(8 * 3, 3);
  g.output(matmul(g, flat, g.constant(head, [8, 3])), 'scores');
  return { bytes: toModelBytes(g), layer: a.name, pooled: pooled.name, head };
}

describe('import: graph translation beyond the peer fixture', function () {
  this.timeout(20000);
  const scratch = useTempDir('translate');

  it('AveragePool and a MatMul head: logits as ONNX Runtime, the closed-form gradient, CAM from the MatMul weight', async () => {
    const { bytes, layer, pooled, head } = pooledClassifier();
    const file = path.join(scratch.dir, 'pooled.onnx');
    await writeFile(file, bytes);
    await writeFile(path.join(scratch.dir, 'pooled.au-lens.json'), JSON.stringify({ labels: ['happy', 'sad', 'surprise'], layers: [{ value: layer, name: 'conv' }] }));
    const model = await openModel(file, {}, { trusted: true });
    try {
      // The CAM layer does not feed the pooling that the head reads: no CAM, every gradient method.
      assert.deepEqual(model.methods, ['gradcam', 'gradcam++', 'layercam']);
      const image = random(3 * 16 * 16, 4);
      const out = await model.run(image, 2);
      const session = await createSession(bytes);
      const reference = (await session.run({ pixels: floatTensor(image, [1, 3, 16, 16]) }))['scores']!.data as Float32Array;
      await session.release();
      out.logits.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) < 1e-5, `logit ${i}: ${v} vs ${reference[i]}`));
      const grad = out.gradients!;
      for (let ch = 0; ch < 8; ch++) {
        const expected = head[ch * 3 + 2]! / 256;
        for (let p = 0; p < 256; p++) assert.ok(Math.abs(grad[ch * 256 + p]! - expected) < 1e-6, `channel ${ch}`);
      }
    } finally {
      await model.release();
    }
    await writeFile(path.join(scratch.dir, 'pooled.au-lens.json'), JSON.stringify({ labels: ['happy', 'sad', 'surprise'], layers: [{ value: layer, name: 'conv' }, { value: pooled, name: 'pooled' }] }));
    const withHead = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(withHead.methods, ['cam', 'gradcam', 'gradcam++', 'layercam']);
      // The MatMul weight is channels × classes; CAM wants classes × channels.
      for (let k = 0; k < 3; k++) for (let ch = 0; ch < 8; ch++) assert.equal(withHead.fcWeight[k * 8 + ch], head[ch * 3 + k]);
    } finally {
      await withHead.release();
    }
  });
});
