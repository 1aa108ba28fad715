import assert from 'node:assert/strict';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { DEIT_SMALL, DEIT_TINY, VIT64, vitLayerNames } from '../../../src/trainer/models/vitArch';
import { buildVitForward } from '../../../src/trainer/models/vit';
import { initParams, paramsFromLayer } from '../../../src/trainer/models/params';
import { vitParamSpecs } from '../../../src/trainer/models/vitParams';
import type { Tensor } from '../../../src/trainer/onnx/graph';
import { Graph, numel } from '../../../src/trainer/onnx/graph';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { rolloutReference } from '../../helpers/rolloutReference';

const count = (specs: readonly { shape: readonly number[] }[]): number => specs.reduce((s, p) => s + numel(p.shape), 0);

function stats(v: Float32Array): { mean: number; std: number; maxAbs: number } {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
}

describe('models: vision transformer', () => {
  it('has timm’s parameter names, order and counts (DeiT-Tiny 5.72 M, DeiT-Small 22.05 M with 1000 classes)', () => {
    assert.equal(count(vitParamSpecs(DEIT_TINY, 1000)), 5_717_416);
    assert.equal(count(vitParamSpecs(DEIT_SMALL, 1000)), 22_050_664);
    const specs = vitParamSpecs(VIT64, 7);
    assert.equal(count(specs), 1_223_943);
    assert.deepEqual(specs.slice(0, 6).map((s) => s.name), [
      'cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias',
      'blocks.0.norm1.weight', 'blocks.0.norm1.bias',
    ]);
    assert.deepEqual(specs.find((s) => s.name === 'blocks.5.attn.qkv.weight')!.shape, [384, 128]);
    assert.deepEqual(specs.slice(-4).map((s) => s.name), ['norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
    assert.deepEqual(vitLayerNames(VIT64), ['block1', 'block2', 'block3', 'block4', 'block5', 'block6']);
  });

  it('initialises as timm: trunc-normal 0.02, zero biases, 1e-6 class token, PyTorch’s default patch conv', () => {
    const store = initParams(vitParamSpecs(VIT64, 7), 3);
    const qkv = stats(store.get('blocks.2.attn.qkv.weight')!);
    assert.ok(Math.abs(qkv.std - 0.02) < 5e-4 && Math.abs(qkv.mean) < 5e-4, JSON.stringify(qkv));
    assert.ok(Math.abs(stats(store.get('pos_embed')!).std - 0.02) < 1e-3);
    assert.ok(stats(store.get('cls_token')!).maxAbs < 1e-5);
    assert.ok(stats(store.get('patch_embed.proj.weight')!).maxAbs <= 1 / Math.sqrt(192));
    assert.ok(Math.abs(stats(store.get('patch_embed.proj.weight')!).std - 1 / Math.sqrt(3 * 192)) < 2e-3);
    assert.equal(stats(store.get('blocks.0.mlp.fc1.bias')!).maxAbs, 0);
    assert.ok(Math.abs(stats(store.get('head.weight')!).std - 0.02) < 3e-3);
    assert.deepEqual([...new Set(store.get('norm.weight'))], [1]);
    // One stream per name: the same seed gives the same tensor in another model.
    const qkvElsewhere = initParams(vitParamSpecs(VIT64, 2), 3).get('blocks.2.attn.qkv.weight');
    assert.deepEqual(qkvElsewhere, store.get('blocks.2.attn.qkv.weight'));
  });

  it('exposes per block the token grid, the class-token attention and the attention softmax', () => {
    const g = new Graph('vit');
    const params = new Map(vitParamSpecs(VIT64, 7).map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
    const f = buildVitForward(new Tape(g), VIT64, g.input('image', 'float32', [2, 3, 64, 64]), params);
    assert.deepEqual(f.logits.shape, [2, 7]);
    assert.deepEqual(f.layers, [...vitLayerNames(VIT64), ...vitLayerNames(VIT64).map((b) => `${b}.cls`), 'rollout']);
    assert.deepEqual(f.stage('block6').shape, [2, 128, 8, 8]);
    assert.equal(f.stage('block6'), f.stage('block6'));
    assert.deepEqual(f.stage('block1.cls').shape, [2, 4, 8, 8]);
    assert.throws(() => f.stage('stage3'), /has no layer "stage3"; its layers: block1, block2/);
    assert.deepEqual(f.attention.get('block3')!.shape, [2, 4, 65, 65]);
  });

  it('rolls the attention out as Abnar & Zuidema: the class row of Π(½·head-mean + ½·I) over the patches', async () => {
    const g = new Graph('vit');
    const specs = vitParamSpecs(VIT64, 7);
    const weights = initParams(specs, 5);
    const params = new Map(specs.map((s) => [s.name, g.constant(weights.get(s.name)!, s.shape, 'float32', s.name)]));
    const image = g.input('image', 'float32', [2, 3, 64, 64]);
    const f = buildVitForward(new Tape(g), VIT64, image, params);
    g.output(f.stage('rollout'), 'rollout');
    for (const [block, probs] of f.attention) g.output(probs, block);
    const session = await createSession(toModelBytes(g));
    const pixels = Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37));
    const out = await session.run({ image: floatTensor(pixels, [2, 3, 64, 64]) });
    await session.release();
    const [h, t] = [VIT64.heads, 65];
    for (let img = 0; img < 2; img++) {
      const blocks = vitLayerNames(VIT64).map((b) => (out[b]!.data as Float32Array).subarray(img * h * t * t, (img + 1) * h * t * t));
      const r = rolloutReference(blocks, t);
      const ours = (out['rollout']!.data as Float32Array).subarray(img * 64, (img + 1) * 64);
      const rowSum = r.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(rowSum - 1) < 1e-6, `rows of the rollout sum to one: ${rowSum}`);
      ours.forEach((v, p) => assert.ok(Math.abs(v - r[1 + p]!) < 1e-6, `image ${img} patch ${p}: ${v} vs ${r[1 + p]}`));
    }
    assert.throws(() => f.gradientSource!('rollout'), /computed beside the network/);
  });

  it('redraws from a block to the head for the randomisation check: blockK and blockK.cls start at blocks.{K−1}', () => {
    assert.equal(paramsFromLayer('vit64', 6, 'block5')[0]!.name, 'blocks.4.norm1.weight');
    assert.equal(paramsFromLayer('vit64', 6, 'block6.cls')[0]!.name, 'blocks.5.norm1.weight');
    assert.equal(paramsFromLayer('vit64', 6, 'block1').at(-1)!.name, 'head.bias');
    assert.throws(() => paramsFromLayer('vit64', 6, 'rollout'), /no block layer "rollout"/);
  });

  it('refuses images of another size and architectures that do not divide', () => {
    const g = new Graph('vit');
    const params = new Map<string, Tensor>();
    const image = g.input('image', 'float32', [1, 3, 96, 96]);
    assert.throws(() => buildVitForward(new Tape(g), VIT64, image, params), /needs images \(N, 3, 64, 64\)/);
    assert.throws(() => vitParamSpecs({ ...VIT64, patch: 7 }, 7), /image side a multiple of the patch/);
    assert.throws(() => vitParamSpecs({ ...VIT64, heads: 3 }, 7), /width a multiple of the heads/);
  });
});
