/**
 * Graphs built for WebGPU (onnx/graph.ts `device`) use only ops its provider has, and compute what the CPU's forms
 * compute: both are run here on the CPU. test/webgpu checks the placement on WebGPU itself (SwiftShader).
 */
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { syntheticBatch } from '../../../src/trainer/bench/synthetic';
import { buildExplainerGraph, EXPLAINED_OUTPUT, PREDICTED_CLASS } from '../../../src/trainer/explain/explainGraph';
import { buildExplanation } from '../../../src/trainer/graphs/explain';
import { buildInference, buildLogits } from '../../../src/trainer/graphs/inference';
import { buildTrainStep, momentumName, TRAIN_INPUTS, updatedName } from '../../../src/trainer/graphs/trainStep';
import { initParams, isTrainable, paramSpecs } from '../../../src/trainer/models/params';
import type { ModelName } from '../../../src/trainer/models/modelNames';
import { MODEL_NAMES } from '../../../src/trainer/models/modelNames';
import { presetInfo } from '../../../src/trainer/models/presets';
import type { Device } from '../../../src/trainer/onnx/deviceNames';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';

const CLASSES = 7;
/** Ops ONNX Runtime 1.30's WebGPU provider lacks (it places them on the CPU) that our CPU forms use. */
const LACKING_ON_WEBGPU = ['OneHot', 'LogSoftmax', 'SpaceToDepth'];

function opsOf(model: Uint8Array): { op: string; outputs: number }[] {
  return (onnx.ModelProto.decode(model).graph?.node ?? []).map((n) => ({ op: n.opType ?? '', outputs: (n.output ?? []).filter((o) => o !== '').length }));
}

function trainStep(preset: ModelName, device: Device): Uint8Array {
  return buildTrainStep({ preset, numClasses: CLASSES, batch: 2, lambda: 4, layers: [presetInfo(preset).defaultLayer], device }).model;
}

/** The faithfulness metrics' classifier: the forward alone, whose stem (tiny64, small96) is device-specific. */
function logitsGraph(preset: ModelName, device: Device): Uint8Array {
  return buildLogits({ preset, numClasses: CLASSES, batch: 2, device }, initParams(paramSpecs(preset, CLASSES), 0));
}

/** The other graphs: their only device-specific op is the targets' one-hot, the same for every model. */
function explanationGraphs(preset: ModelName, device: Device): Record<string, Uint8Array> {
  const info = presetInfo(preset);
  const config = { preset, numClasses: CLASSES, batch: 2, device };
  return {
    inference: buildInference(config, 'inputs').model,
    explanation: buildExplanation({ ...config, layers: info.layers }, 'inputs').model,
    explainer: buildExplainerGraph({ preset, numClasses: CLASSES, camLayer: info.defaultLayer, device }, initParams(paramSpecs(preset, CLASSES), 0)),
  };
}

async function run(model: Uint8Array, feeds: Feeds): Promise<Record<string, Float32Array | BigInt64Array>> {
  const session = await createSession(model, { provider: 'cpu' });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array | BigInt64Array]));
  } finally {
    await session.release();
  }
}

/** Largest |a − b| over the largest |b|. */
function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

describe('graphs built for WebGPU', function () {
  this.timeout(300_000);

  it('use none of the ops its provider lacks, for every model and graph; the CPU keeps its faster forms', () => {
    const graphs = [
      ...MODEL_NAMES.map((preset) => [`${preset} train`, trainStep(preset, 'webgpu')] as const),
      ...MODEL_NAMES.map((preset) => [`${preset} logits`, logitsGraph(preset, 'webgpu')] as const),
      ...Object.entries(explanationGraphs('resnet18', 'webgpu')).map(([kind, model]) => [`resnet18 ${kind}`, model] as const),
    ];
    for (const [name, model] of graphs) {
      const lacking = opsOf(model).filter((n) => LACKING_ON_WEBGPU.includes(n.op) || (n.op === 'MaxPool' && n.outputs > 1));
      assert.deepEqual(lacking, [], name);
    }
    const cpuStep = opsOf(trainStep('resnet18', 'cpu')).map((n) => (n.op === 'MaxPool' && n.outputs > 1 ? 'MaxPool indices' : n.op));
    for (const op of [...LACKING_ON_WEBGPU, 'MaxPool indices']) assert.ok(cpuStep.includes(op), op);
  });

  // resnet18's max-pool: autodiff/pool.test.ts checks both forms against PyTorch; test/webgpu checks the whole step.
  // tiny64: strided windows and the loss; vit64: the patch rows (a 6-D Transpose instead of SpaceToDepth).
  for (const preset of ['tiny64', 'vit64'] as const) it(`a ${preset} training step gives the CPU form's loss and updates`, async () => {
    const info = presetInfo(preset);
    const specs = paramSpecs(preset, CLASSES);
    const weights = initParams(specs, 1);
    const batch = syntheticBatch(2, info.inputSize, CLASSES, 3);
    const s = info.inputSize;
    const feeds: Feeds = {
      [TRAIN_INPUTS.image]: floatTensor(batch.image, [2, 3, s, s]), [TRAIN_INPUTS.labels]: int64Tensor(batch.labels, [2]),
      [TRAIN_INPUTS.auMaps]: floatTensor(batch.auMaps, [2, 1, s, s]), [TRAIN_INPUTS.auValid]: floatTensor(batch.auValid, [2]),
      [TRAIN_INPUTS.lr]: floatTensor(Float32Array.of(0.01), []),
    };
    for (const spec of specs) {
      feeds[spec.name] = floatTensor(weights.get(spec.name)!, spec.shape);
      if (isTrainable(spec)) feeds[momentumName(spec.name)] = floatTensor(new Float32Array(weights.get(spec.name)!.length), spec.shape);
    }
    const [cpu, gpu] = await Promise.all((['cpu', 'webgpu'] as const).map(async (device) => run(trainStep(preset, device), feeds)));
    assert.ok(relativeDiff(gpu!['loss'] as Float32Array, cpu!['loss'] as Float32Array) < 1e-6, `${preset} loss`);
    for (const spec of specs.filter(isTrainable)) {
      const w0 = weights.get(spec.name)!;
      const change = (out: Record<string, Float32Array | BigInt64Array>): Float32Array => (out[updatedName(spec.name)] as Float32Array).map((v, i) => v - w0[i]!);
      assert.ok(relativeDiff(change(gpu!), change(cpu!)) < 1e-4, `${preset} ${spec.name}: ${relativeDiff(change(gpu!), change(cpu!))}`);
    }
  });

  it('the single-image explainer explains the same class, the predicted one for a negative target', async () => {
    const info = presetInfo('tiny64');
    const weights = initParams(paramSpecs('tiny64', CLASSES), 2);
    const image = floatTensor(syntheticBatch(1, info.inputSize, CLASSES, 4).image, [1, 3, info.inputSize, info.inputSize]);
    for (const target of [PREDICTED_CLASS, 3]) {
      const [cpu, gpu] = await Promise.all((['cpu', 'webgpu'] as const).map(async (device) =>
        run(buildExplainerGraph({ preset: 'tiny64', numClasses: CLASSES, camLayer: info.defaultLayer, device }, weights), { image, target: int64Tensor([target], [1]) })));
      assert.deepEqual(gpu![EXPLAINED_OUTPUT], cpu![EXPLAINED_OUTPUT]);
      if (target >= 0) assert.deepEqual([...(gpu![EXPLAINED_OUTPUT] as BigInt64Array)], [BigInt(target)]);
      for (const name of Object.keys(cpu!)) {
        if (name !== EXPLAINED_OUTPUT) assert.deepEqual(gpu![name], cpu![name], name);
      }
    }
  });
});
