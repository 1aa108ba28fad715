/**
 * An imported ViT explained with gradients, against PyTorch: a torchvision-layout VisionTransformer exported by
 * torch.onnx.export at opset 17 (scripts/golden/make_import_vit_fixture.py) is rebuilt by the translation
 * (translateGraph.ts with translateTokens.ts: LayerNormalization, the attention's MatMuls, Softmax, Erf-GELU,
 * Transpose, Slice, Gather and shape arithmetic folded), and gives PyTorch's logits and the gradient of one logit
 * with respect to the tokens entering the last block, each within 1e-4 (relative, floor 1e-3 of the largest value);
 * `au-lens inspect` proposes its blocks' attention Softmax, whose rollout is PyTorch's rollout of the head-mean
 * attention weights nn.MultiheadAttention returns.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { EXPLAINED_OUTPUT } from '../../../src/trainer/explain/explainGraph';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { measureValues } from '../../../src/trainer/import/foreignGraph';
import { inspectModel } from '../../../src/trainer/import/inspectModel';
import { gradientBlockers } from '../../../src/trainer/import/opCoverage';
import { buildTranslatedExplainer, CAM_GRADIENT_OUTPUT, layerOutputName } from '../../../src/trainer/import/translateGraph';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { readGoldenFixture, relError } from '../../helpers/goldenFixture';
import type { FixtureEntry } from '../../helpers/goldenFixture';
import { repoRoot } from '../../helpers/paths';
import { placeImportVit, useTempDir } from './fixture';

interface Index {
  readonly size: number;
  readonly classes: number;
  readonly target: number;
  readonly tokenValue: string;
  readonly attention: readonly string[];
  readonly tensors: readonly FixtureEntry[];
}

describe('import: a torchvision ViT exported to ONNX, explained with gradients (golden fixture)', function () {
  this.timeout(60000);
  const dir = path.join(repoRoot, 'test', 'fixtures', 'golden', 'import-vit');
  const file = path.join(dir, 'model.onnx');
  const { index, tensor } = readGoldenFixture<Index>(dir);
  const scratch = useTempDir('import-vit-golden');

  it('covers every op between the last block’s input tokens and the logits', () => {
    const proto = onnx.ModelProto.decode(readFileSync(file));
    assert.deepEqual(gradientBlockers(proto, index.tokenValue), []);
  });

  it('reproduces PyTorch’s logits and d logit[target] / d tokens within 1e-4', async () => {
    const proto = onnx.ModelProto.decode(readFileSync(file));
    const io = { input: 'image', size: index.size, logits: 'logits' };
    const types = await measureValues(proto, file, io, {});
    const bytes = buildTranslatedExplainer(
      proto,
      { ...io, layers: [index.tokenValue], camValue: index.tokenValue, numClasses: index.classes },
      types,
    );
    const session = await createSession(bytes);
    const s = index.size;
    const out = await session.run({
      image: floatTensor(tensor('image'), [1, 3, s, s]),
      target: int64Tensor([index.target], [1]),
    });
    await session.release();
    const logits = relError(out['logits']!.data as Float32Array, tensor('logits'), 1e-3);
    const grad = relError(out[CAM_GRADIENT_OUTPUT]!.data as Float32Array, tensor('tokenGrad'), 1e-3);
    assert.deepEqual(out[layerOutputName(0)]!.dims.map(Number), [1, 17, 32]);
    assert.equal(Number((out[EXPLAINED_OUTPUT]!.data as BigInt64Array)[0]), index.target);
    assert.ok(logits <= 1e-4, `logits ${logits.toExponential(2)}`);
    assert.ok(grad <= 1e-4, `token gradient ${grad.toExponential(2)}`);
    console.log(`    logits ${logits.toExponential(2)}, token gradient ${grad.toExponential(2)} (floor 1e-3)`);
  });

  it('proposes its blocks\' attention Softmax, whose rollout is PyTorch\'s within 1e-5', async () => {
    assert.deepEqual((await inspectModel(file, { trusted: true })).tokens?.attention, index.attention);
    const model = await openModel(
      await placeImportVit(scratch.dir, 'vit.onnx', { grid: [4, 4], skip: 1, attention: index.attention }), {},
      { trusted: true });
    try {
      const rollout = (await model.run(tensor('image'), -1)).attention.get('rollout')!;
      const error = relError(rollout.data, tensor('rollout'), 1e-3);
      assert.ok(error <= 1e-5, `rollout ${error.toExponential(2)}`);
      console.log(`    rollout ${error.toExponential(2)}`);
    } finally {
      await model.release();
    }
  });
});
