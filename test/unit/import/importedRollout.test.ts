/**
 * Attention rollout of an imported ViT (issue 20, item 4): each block's attention Softmax, named in the sidecar's
 * `tokens.attention`, is fetched from the model's session and rolled out by the presets' code; on the
 * torchvision-layout fixture it equals the plain rollout of the same attentions as the file itself computes them,
 * whether the rebuilt graph or the file as it is runs, and a sidecar that names a value the graph lacks, or one that is no attention, is refused by name.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { ModelFileError } from '../../../src/trainer/export/modelDescription';
import { withOutputs } from '../../../src/trainer/import/foreignGraph';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import type { FixtureEntry } from '../../helpers/goldenFixture';
import { readGoldenFixture } from '../../helpers/goldenFixture';
import { rolloutReference } from '../../helpers/rolloutReference';
import { IMPORT_VIT, importVitValue, placeImportVit, useTempDir } from './fixture';

const SOFTMAXES = [0, 1, 2].map((k) => importVitValue(k, 'self_attention/Softmax'));
const GRID = { grid: [4, 4], skip: 1 };
const T = 17;

const rejectsWith = (p: Promise<unknown>, pattern: RegExp): Promise<void> =>
  assert.rejects(p, (e: unknown) => (e instanceof ModelFileError && pattern.test(e.message)) ||
    assert.fail(`${(e as Error).message}\ndoes not match ${pattern}`));

describe('import: attention rollout of an imported ViT (sidecar "tokens.attention")', function () {
  this.timeout(60000);
  const scratch = useTempDir('import-rollout');
  const { tensor } = readGoldenFixture<{ tensors: readonly FixtureEntry[] }>(path.dirname(IMPORT_VIT));

  it('rolls out the named Softmax outputs as the presets do: the plain rollout of the file\'s own attentions', async () => {
    const file = await placeImportVit(scratch.dir, 'vit.onnx', { ...GRID, attention: SOFTMAXES });
    const image = tensor('image');
    const raw = await createSession(withOutputs(onnx.ModelProto.decode(await readFile(IMPORT_VIT)), SOFTMAXES));
    const attentions = await raw.run({ image: floatTensor(image, [1, 3, 32, 32]) });
    await raw.release();
    // torch exports nn.MultiheadAttention's probabilities as (heads, T, T) for one image.
    assert.deepEqual(attentions[SOFTMAXES[0]!]!.dims.map(Number), [4, T, T]);
    const reference = rolloutReference(SOFTMAXES.map((v) => attentions[v]!.data as Float32Array), T);
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(model.description.attentionLayers, ['block2', 'rollout']);
      assert.equal(model.camLayer, 'block2');
      assert.ok(model.methods.includes('gradcam'), 'the rebuilt graph runs, its Softmax outputs fetched beside the layers');
      const rollout = (await model.run(image, -1)).attention.get('rollout')!;
      assert.deepEqual([rollout.height, rollout.width], [4, 4]);
      let worst = 0;
      rollout.data.forEach((v, p) => (worst = Math.max(worst, Math.abs(v - reference[1 + p]!))));
      assert.ok(worst < 1e-6, `rollout differs from the reference by ${worst}`);
      assert.ok(rollout.data.every((v) => v > 0), 'every patch gets some of the class token\'s attention');
    } finally {
      await model.release();
    }
  });

  it('rolls out the same way when the file runs as it is (an op after the CAM layer the differentiator lacks)', async () => {
    // Block 3's Erf becomes a Tanh: another GELU, uncovered, so no rebuilt graph; the Softmax outputs are file outputs.
    const proto = onnx.ModelProto.decode(await readFile(IMPORT_VIT));
    proto.graph!.node!.find((n) => n.opType === 'Erf' && n.name!.includes('encoder_layer_2'))!.opType = 'Tanh';
    const file = await placeImportVit(scratch.dir, 'tanh.onnx', { ...GRID, attention: SOFTMAXES });
    await writeFile(file, onnx.ModelProto.encode(proto).finish());
    const image = tensor('image');
    const raw = await createSession(withOutputs(proto, SOFTMAXES));
    const attentions = await raw.run({ image: floatTensor(image, [1, 3, 32, 32]) });
    await raw.release();
    const reference = rolloutReference(SOFTMAXES.map((v) => attentions[v]!.data as Float32Array), T);
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.equal(model.methods.includes('gradcam'), false, 'the file runs as it is');
      const rollout = (await model.run(image, -1)).attention.get('rollout')!;
      rollout.data.forEach((v, p) => assert.ok(Math.abs(v - reference[1 + p]!) < 1e-6, `patch ${p}: ${v}`));
    } finally {
      await model.release();
    }
  });

  it('offers no rollout when the sidecar names no attention', async () => {
    const model = await openModel(await placeImportVit(scratch.dir, 'plain.onnx', GRID), {}, { trusted: true });
    try {
      assert.deepEqual(model.description.attentionLayers, ['block2']);
      assert.equal((await model.run(tensor('image'), -1)).attention.has('rollout'), false);
    } finally {
      await model.release();
    }
  });

  it('names an attention value the graph does not have, and says how to find the right ones', async () => {
    const attention = [SOFTMAXES[0], '/encoder/layers/encoder_layer_1/Softmax_output_0', SOFTMAXES[2]];
    const file = await placeImportVit(scratch.dir, 'missing.onnx', { ...GRID, attention });
    await rejectsWith(openModel(file, {}, { trusted: true }),
      /missing\.au-lens\.json: "tokens\.attention" names "\/encoder\/layers\/encoder_layer_1\/Softmax_output_0", which the graph does not have; name the output of each block's attention Softmax \(`au-lens inspect/);
  });

  it('refuses a value that is no attention probabilities over the tokens, with its shape and the one expected', async () => {
    const file = await placeImportVit(scratch.dir, 'tokens.onnx', { ...GRID, attention: [importVitValue(0, 'Add_1')] });
    await rejectsWith(openModel(file, {}, { trusted: true }),
      /"tokens\.attention\[0\]" \(\/encoder\/layers\/encoder_layer_0\/Add_1_output_0\) is \[1, 17, 32\], not a block's attention probabilities \[1, heads, 17, 17\] for one image \(17 tokens: 1 \+ 4×4 patches\)/);
  });
});
