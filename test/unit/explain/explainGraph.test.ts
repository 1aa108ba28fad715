/**
 * The single-image explanation graph against graphs/explain.ts: same logits, attention, activations and
 * gradients for an explicit class, and target −1 explains the graph's own argmax.
 */
import assert from 'node:assert/strict';
import { buildExplainerGraph, EXPLAINED_OUTPUT, PREDICTED_CLASS } from '../../../src/trainer/explain/explainGraph';
import { activationName, buildExplanation, gradientName } from '../../../src/trainer/graphs/explain';
import { attentionName } from '../../../src/trainer/graphs/inference';
import { initParams, paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { randn } from '../../helpers/gradcheck';
import { maxRelDiff, runOnce } from '../export/fixtures';

describe('explain: the single-image explanation graph', function () {
  this.timeout(30000);
  const preset = 'tiny64';
  const classes = 5;
  const info = presetInfo(preset);
  const s = info.inputSize;
  const weights = initParams(paramSpecs(preset, classes), 9);
  const layer = info.defaultLayer;
  const model = buildExplainerGraph({ preset, numClasses: classes, camLayer: layer }, weights);
  const reference = buildExplanation({ preset, numClasses: classes, batch: 1, layers: [layer] }, weights).model;

  it('equals graphs/explain.ts for a requested class, and explains the argmax for target −1', async () => {
    const session = await createSession(model);
    try {
      for (const seed of [1, 2, 3]) {
        const image = floatTensor(randn(3 * s * s, seed), [1, 3, s, s]);
        const predicted = await runOnce(session, { image, target: int64Tensor([PREDICTED_CLASS], [1]) });
        const logits = predicted['logits']!;
        const argmax = logits.indexOf(Math.max(...logits));
        assert.equal(Number((predicted[EXPLAINED_OUTPUT] as unknown as BigInt64Array)[0]), argmax);
        for (const target of [argmax, (argmax + 2) % classes]) {
          const ours = target === argmax ? predicted : await runOnce(session, { image, target: int64Tensor([target], [1]) });
          const theirs = await runOnce(reference, { image, target: int64Tensor([target], [1]) });
          for (const name of ['logits', attentionName('stem'), attentionName(layer), activationName(layer), gradientName(layer)]) {
            assert.ok(maxRelDiff(ours[name]!, theirs[name]!) < 1e-6, `seed ${seed}, class ${target}, ${name}`);
          }
        }
      }
    } finally {
      await session.release();
    }
  });
});
