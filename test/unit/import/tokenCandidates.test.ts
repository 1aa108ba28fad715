/**
 * au-lens inspect on vision transformers exported by torch.onnx.export: the residual stream's token values are
 * proposed as grids with the sidecar's "tokens", the block outputs but the last preselected (tokenCandidates.ts), and
 * each block's attention Softmax in block order (attentionCandidates.ts); the written sidecar explains its token
 * layers with every gradient CAM, and their attention rollout.
 */
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { formatInspection } from '../../../src/trainer/cli/inspect';
import { runCli } from '../../../src/trainer/cli/main';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { inspectModel } from '../../../src/trainer/import/inspectModel';
import { repoRoot } from '../../helpers/paths';
import { placePeerModel, useTempDir } from './fixture';

const TORCHVISION_VIT = path.join(repoRoot, 'test', 'fixtures', 'golden', 'import-vit', 'model.onnx');
const TIMM_VIT = path.join(repoRoot, 'test', 'fixtures', 'init', 'vit-timm.onnx');
const block = (k: number, add: string): string => `/encoder/layers/encoder_layer_${k}/${add}_output_0`;

describe('import: au-lens inspect proposes a ViT\'s token layers', function () {
  this.timeout(60000);
  const scratch = useTempDir('inspect-vit');

  it('torchvision layout: 4×4 grid after the class token, blocks 1 and 2 of 3 preselected, gradients covered', async () => {
    const r = await inspectModel(TORCHVISION_VIT, { trusted: true });
    const softmax = (k: number): string => `/encoder/layers/encoder_layer_${k}/self_attention/Softmax_output_0`;
    // Each block's attention Softmax over Q·Kᵀ, in block order, for rollout.
    assert.deepEqual(r.tokens, { grid: [4, 4], skip: 1, attention: [softmax(0), softmax(1), softmax(2)] });
    assert.deepEqual(r.defaults, [block(0, 'Add_1'), block(1, 'Add_1')]);
    const tokens = r.layers.filter((l) => l.node.startsWith('Add'));
    assert.deepEqual(tokens.map((l) => l.value), [0, 1, 2].flatMap((k) => [block(k, 'Add'), block(k, 'Add_1')]));
    assert.ok(tokens.every((l) => l.shape.join() === '32,4,4'));
    assert.equal(r.layers[0]!.value, '/conv_proj/Conv_output_0'); // the patch embedding stays a candidate
    assert.deepEqual(r.unsupported, []);
  });

  it('timm layout: 2×2 grid, the first of 2 blocks preselected', async () => {
    const r = await inspectModel(TIMM_VIT, { trusted: true });
    const attention = [0, 1].map((k) => `/model/blocks.${k}/attn/Softmax_output_0`);
    assert.deepEqual(r.tokens, { grid: [2, 2], skip: 1, attention });
    assert.deepEqual(r.defaults, ['/model/blocks.0/Add_1_output_0']);
    assert.deepEqual(r.unsupported, []);
  });

  it('proposes no rollout when a block has no attention Softmax over the last axis of Q·Kᵀ, and says so', async () => {
    // Block 2's Softmax normalised over the heads instead: the model still runs, but two of three blocks are no rollout.
    const proto = onnx.ModelProto.decode(await readFile(TORCHVISION_VIT));
    const softmax = proto.graph!.node!.find((n) => n.name === '/encoder/layers/encoder_layer_1/self_attention/Softmax')!;
    softmax.attribute = [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })];
    const file = path.join(scratch.dir, 'headwise.onnx');
    await writeFile(file, onnx.ModelProto.encode(proto).finish());
    const r = await inspectModel(file, { trusted: true });
    assert.deepEqual(r.tokens, { grid: [4, 4], skip: 1 });
    assert.match(formatInspection(r).join('\n'), /no attention rollout: no attention Softmax over Q·Kᵀ found for each block/);
  });

  it('a CNN has no tokens', async () => {
    const r = await inspectModel(await placePeerModel(scratch.dir, undefined), { trusted: true });
    assert.equal(r.tokens, undefined);
  });

  it('--write-sidecar writes "tokens" with the blocks\' attention; the model then explains its token layers as grids with every gradient CAM, and their rollout', async () => {
    const file = path.join(scratch.dir, 'vit.onnx');
    await copyFile(TORCHVISION_VIT, file);
    const out: string[] = [];
    const code = await runCli(['inspect', '--model', file, '--write-sidecar', '--threads', '1'],
      { out: (l) => out.push(l), err: (l) => out.push(l) });
    assert.equal(code, 0, out.join('\n'));
    assert.match(out.join('\n'), /a vision transformer: tokens on a 4×4 patch grid after 1 class token/);
    assert.match(out.join('\n'), /attention rollout of its 3 blocks from their attention Softmax \(sidecar "tokens\.attention"\): \/encoder\/layers\/encoder_layer_0\/self_attention\/Softmax_output_0, /);
    const model = await openModel(file, {}, { trusted: true });
    try {
      assert.deepEqual(model.description.attentionLayers, ['encoder_layer_0.Add_1', 'encoder_layer_1.Add_1', 'rollout']);
      assert.equal(model.camLayer, 'encoder_layer_1.Add_1');
      // CAM needs a linear head on the CAM layer; the gradient CAMs go through the last block.
      assert.deepEqual(model.unavailable.map((u) => u.method), ['cam']);
      assert.deepEqual(model.methods, ['gradcam', 'gradcam++', 'layercam']);
    } finally {
      await model.release();
    }
  });
});
