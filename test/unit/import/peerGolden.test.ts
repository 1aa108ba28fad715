/**
 * An ONNX classifier trained elsewhere against PyTorch: the peer's tiny64 exported by torch.onnx.export (BatchNorm
 * folded into the convolutions), opened with a sidecar. Logits and attention to 1e-5 (relative, max |a − b| /
 * max |b|), the CAM layer's gradient to 1e-4, through the rebuilt graph; the file's own graph gives the same
 * logits and attention when gradients are off the table.
 */
import assert from 'node:assert/strict';

import { openModel } from '../../../src/trainer/explain/modelFile';
import { channelMean } from '../../../src/trainer/import/foreignModel';
import { maxRelDiff, peerFixture, peerSidecar, placePeerModel, useTempDir } from './fixture';

describe('import: torch.onnx.export of the peer tiny64 against PyTorch', function () {
  this.timeout(30000);
  const fixture = peerFixture();
  const scratch = useTempDir('import');

  it('reproduces logits, every layer\'s attention and d logit[c] / d CAM layer, with every CAM method', async () => {
    const file = await placePeerModel(scratch.dir, peerSidecar(fixture));
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.equal(model.kind, 'imported');
      assert.deepEqual(model.methods, ['cam', 'gradcam', 'gradcam++', 'layercam']);
      assert.deepEqual(model.description.attentionLayers, ['stem', 'stage1', 'stage2', 'stage3']);
      const out = await model.run(fixture.tensor('input'), fixture.gradClass);
      assert.ok(maxRelDiff(out.logits, fixture.tensor('logits')) < 1e-5, 'logits');
      for (const layer of Object.keys(fixture.layers)) {
        const act = fixture.tensor(`act/${layer}`);
        const shape = model.description.attentionLayers.includes(layer) ? out.attention.get(layer)! : undefined;
        assert.ok(shape, layer);
        const reference = channelMean({ channels: act.length / (shape.width * shape.height), height: shape.height, width: shape.width, data: act });
        assert.ok(maxRelDiff(shape.data, reference.data) < 1e-5, `attention ${layer}`);
      }
      assert.ok(maxRelDiff(out.activations.data, fixture.tensor(`act/${fixture.camLayer}`)) < 1e-5, 'CAM layer activations');
      assert.equal(out.explained, fixture.gradClass);
      const grad = maxRelDiff(out.gradients!, fixture.tensor(`grad/${fixture.camLayer}`));
      assert.ok(grad < 1e-4, `gradient relative error ${grad}`);
    } finally {
      await model.release();
    }
  });
});
