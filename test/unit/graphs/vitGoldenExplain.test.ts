/**
 * What Grad-CAM weighs on a ViT, against PyTorch: the explanation graph's gradient of the target logits at block 5's
 * token grid and at block 6's class-token attention, which vit.ts takes at the on-path tensors (the residual stream,
 * the attention softmax) and reshapes (Forward.gradientSource), as pytorch-grad-cam's reshape_transform does. The
 * vit64 golden fixture's classGrad/* tensors (make_vit64_fixture.py); tolerance 1e-4 at floor 0.1, as gradients in
 * the other golden tests. The last block's patch tokens get no gradient at all (the head reads the class token), in
 * PyTorch and here: the reason a ViT's default layer is the last block's input (vitPresets.ts).
 */
import assert from 'node:assert/strict';
import { buildExplanation, gradientName } from '../../../src/trainer/graphs/explain';
import { presetInfo } from '../../../src/trainer/models/presets';
import { numel } from '../../../src/trainer/onnx/graph';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { readGoldenFixture, relError } from '../../helpers/goldenFixture';
import type { VitFixture } from '../../helpers/vitFixture';
import { fixedValues, VIT_FIXTURE_DIR } from '../../helpers/vitFixture';

describe('graphs: vit64 explanation gradients against PyTorch (vit64 golden fixture)', function () {
  this.timeout(120000);
  const { index, tensor } = readGoldenFixture<VitFixture & { classGradBlock6MaxAbs: number }>(VIT_FIXTURE_DIR);

  it('gives PyTorch’s class-score gradients at block5, block6.cls, and none at block6’s patch tokens', async () => {
    const n = index.batch;
    const size = index.arch['image_size']!;
    const layers = ['block5', 'block6', 'block6.cls'];
    const { model } = buildExplanation({ preset: 'vit64', numClasses: index.numClasses, batch: n, layers }, 'inputs');
    const feeds: Feeds = {
      image: floatTensor(fixedValues(n * 3 * size * size, index.imageStream), [n, 3, size, size]),
      target: int64Tensor(index.labels, [n]),
    };
    index.params.forEach((p, k) => {
      feeds[p.name] = floatTensor(fixedValues(numel(p.shape), k, p.base, p.scale), p.shape);
    });
    const session = await createSession(model);
    const out = await session.run(feeds);
    await session.release();
    const grad = (layer: string): Float32Array => out[gradientName(layer)]!.data as Float32Array;
    for (const layer of ['block5', 'block6.cls']) {
      assert.deepEqual(out[gradientName(layer)]!.dims, [n, ...presetInfo('vit64').layerShapes[layer]!]);
      const error = relError(grad(layer), tensor(`classGrad/${layer}`), 0.1);
      assert.ok(error <= 1e-4, `${layer}: ${error.toExponential(2)}`);
    }
    assert.equal(index.classGradBlock6MaxAbs, 0);
    assert.ok(grad('block6').every((v) => v === 0));
  });
});
