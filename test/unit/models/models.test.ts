import assert from 'node:assert/strict';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { buildForward } from '../../../src/trainer/models/forward';
import type { PresetName } from '../../../src/trainer/models/modelNames';
import { PRESET_NAMES, VIT_NAMES } from '../../../src/trainer/models/modelNames';
import { initParams, isTrainable, paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import { Graph, numel } from '../../../src/trainer/onnx/graph';

/** Trainable parameter counts of the peer's modules (README "Model definitions", sum of p.numel()). */
const PEER_PARAMS: Record<PresetName, number> = { tiny64: 77_847, small96: 2_796_839, resnet18: 11_180_103, resnet50: 23_522_375 };

describe('models: presets, parameters and forward shapes', () => {
  it('has the peer parameter count for every preset', () => {
    for (const name of PRESET_NAMES) {
      const count = paramSpecs(name, 7).filter(isTrainable).reduce((s, p) => s + numel(p.shape), 0);
      assert.equal(count, PEER_PARAMS[name], name);
    }
  });

  it('names parameters as the PyTorch state_dict keys, in state_dict order', () => {
    const tiny = paramSpecs('tiny64', 7).map((s) => s.name);
    assert.deepEqual(tiny.slice(0, 7), ['stem.0.weight', 'stem.1.weight', 'stem.1.bias', 'stem.1.running_mean', 'stem.1.running_var', 'stages.0.0.conv1.weight', 'stages.0.0.bn1.weight']);
    assert.ok(tiny.includes('stages.1.0.downsample.0.weight') && !tiny.includes('stages.0.0.downsample.0.weight'));
    assert.deepEqual(tiny.slice(-2), ['fc.weight', 'fc.bias']);
    const r18 = paramSpecs('resnet18', 7);
    assert.deepEqual(r18.slice(0, 6).map((s) => s.name), ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'layer1.0.conv1.weight']);
    assert.deepEqual(r18.find((s) => s.name === 'conv1.weight')?.shape, [64, 3, 7, 7]);
    // layer3/layer4 keep their projection shortcuts at stride 1 (channels still change).
    assert.deepEqual(r18.find((s) => s.name === 'layer3.0.downsample.0.weight')?.shape, [256, 128, 1, 1]);
    assert.ok(!r18.some((s) => s.name.startsWith('layer1.0.downsample')));
    const r50 = paramSpecs('resnet50', 7);
    assert.deepEqual(r50.find((s) => s.name === 'layer1.0.downsample.0.weight')?.shape, [256, 64, 1, 1]);
    assert.deepEqual(r50.find((s) => s.name === 'layer2.0.conv2.weight')?.shape, [128, 128, 3, 3]);
    assert.deepEqual(r50.find((s) => s.name === 'layer4.2.bn3.running_var')?.shape, [2048]);
    assert.deepEqual(r50.find((s) => s.name === 'fc.weight')?.shape, [7, 2048]);
  });

  it('gives layer shapes as the README, and a clear error for unknown presets', () => {
    assert.deepEqual(presetInfo('tiny64').layerShapes, { stem: [16, 64, 64], stage1: [16, 64, 64], stage2: [32, 32, 32], stage3: [64, 16, 16] });
    assert.deepEqual(presetInfo('small96').layerShapes['stage4'], [256, 24, 24]);
    const r18 = presetInfo('resnet18');
    assert.deepEqual([r18.defaultLayer, r18.featureChannels, r18.layerShapes['stem'], r18.layerShapes['stage4']], ['stage4', 512, [64, 28, 28], [512, 14, 14]]);
    assert.deepEqual(presetInfo('resnet50').layerShapes['stage4'], [2048, 28, 28]);
    const vit = presetInfo('vit64');
    assert.deepEqual([vit.inputSize, vit.defaultLayer, vit.featureChannels], [64, 'block5', 128]);
    assert.deepEqual([vit.layerShapes['block1'], vit.layerShapes['block6.cls']], [[128, 8, 8], [4, 8, 8]]);
    assert.deepEqual(presetInfo('deit-small').layerShapes['block12'], [384, 14, 14]);
    assert.throws(() => presetInfo('resnet34'), /unknown model preset "resnet34"; known presets: tiny64, small96, resnet18, resnet50/);
  });

  it('builds every preset with the stage shapes of presetInfo', () => {
    for (const name of [...PRESET_NAMES, ...VIT_NAMES]) {
      const info = presetInfo(name);
      const g = new Graph();
      const image = g.input('image', 'float32', [1, 3, info.inputSize, info.inputSize]);
      const params = new Map(paramSpecs(name, 5).map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
      const fwd = buildForward(new Tape(g), { preset: name, numClasses: 5 }, image, params, 'eval');
      assert.deepEqual(fwd.logits.shape, [1, 5], name);
      assert.deepEqual(fwd.layers, info.layers, name);
      for (const layer of fwd.layers) {
        assert.deepEqual(fwd.stage(layer).shape, [1, ...info.layerShapes[layer]!], `${name} ${layer}`);
      }
      assert.equal(fwd.bnStats.length, 0);
    }
  });

  it('initialises as torchvision: kaiming normal fan_out convs, unit BN, uniform head; seeded', () => {
    const specs = paramSpecs('tiny64', 7);
    const a = initParams(specs, 1);
    const conv = a.get('stages.2.0.conv2.weight')!; // 64·3·3 fan_out → std √(2/576)
    const mean = conv.reduce((s, v) => s + v, 0) / conv.length;
    const std = Math.sqrt(conv.reduce((s, v) => s + (v - mean) ** 2, 0) / conv.length);
    assert.ok(Math.abs(std / Math.sqrt(2 / 576) - 1) < 0.02 && Math.abs(mean) < 2e-3, `std ${std}`);
    assert.ok(a.get('stem.1.weight')!.every((v) => v === 1) && a.get('stem.1.running_var')!.every((v) => v === 1));
    assert.ok(a.get('stem.1.bias')!.every((v) => v === 0) && a.get('stem.1.running_mean')!.every((v) => v === 0));
    const fc = a.get('fc.weight')!;
    assert.ok(fc.every((v) => Math.abs(v) <= 1 / 8) && Math.max(...fc) > 0.8 / 8);
    assert.deepEqual(initParams(specs, 1).get('fc.bias'), a.get('fc.bias'));
    assert.notDeepEqual(initParams(specs, 2).get('fc.bias'), a.get('fc.bias'));
  });
});
