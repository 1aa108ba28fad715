/**
 * The inference and explanation graphs on a tiny random tiny64: inference agrees with the train-mode forward
 * when its running statistics are the batch's; explanation gradients agree with finite differences.
 */
import assert from 'node:assert/strict';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { activationName, buildExplanation, gradientName } from '../../../src/trainer/graphs/explain';
import { attentionName, buildInference } from '../../../src/trainer/graphs/inference';
import { buildForward } from '../../../src/trainer/models/forward';
import { initParams, paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import type { ParamStore } from '../../../src/trainer/models/types';
import { Graph, numel } from '../../../src/trainer/onnx/graph';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor, int64Tensor } from '../../../src/trainer/onnx/session';
import { randn } from '../../helpers/gradcheck';

const PRESET = 'tiny64';
const CLASSES = 7;
const BATCH = 2;
const info = presetInfo(PRESET);
const imageShape = [BATCH, 3, info.inputSize, info.inputSize];

type Outputs = Record<string, Float32Array>;

async function runModel(model: Uint8Array, feeds: Feeds): Promise<Outputs> {
  const session = await createSession(model);
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

/** Random weights with non-trivial BatchNorm affine parameters and running statistics, so eval BN is not an identity. */
function randomWeights(seed: number): ParamStore {
  const specs = paramSpecs(PRESET, CLASSES);
  const store = initParams(specs, seed);
  specs.forEach((s, i) => {
    const r = randn(numel(s.shape), seed * 1000 + i);
    const v = store.get(s.name)!;
    if (s.role === 'bn_weight') v.forEach((_, k) => (v[k] = 1 + 0.2 * r[k]!));
    if (s.role === 'bn_bias' || s.role === 'bn_running_mean') v.forEach((_, k) => (v[k] = 0.1 * r[k]!));
    if (s.role === 'bn_running_var') v.forEach((_, k) => (v[k] = Math.exp(0.3 * r[k]!)));
  });
  return store;
}

const weightFeeds = (store: ParamStore): Feeds =>
  Object.fromEntries(paramSpecs(PRESET, CLASSES).map((s) => [s.name, floatTensor(store.get(s.name)!, s.shape)]));

describe('graphs: inference and explanation', function () {
  this.timeout(60000);
  const weights = randomWeights(3);
  const image = randn(numel(imageShape), 11);

  it('inference outputs the logits, every layer attention and the features with the preset shapes', async () => {
    const { model, io } = buildInference({ preset: PRESET, numClasses: CLASSES, batch: BATCH }, weights);
    assert.deepEqual(io.inputs.map((s) => s.name), ['image']);
    const expected = [['logits', [BATCH, CLASSES]], ...info.layers.map((l) => [attentionName(l), [BATCH, ...info.layerShapes[l]!.slice(1)]]), ['features', [BATCH, ...info.layerShapes[info.defaultLayer]!]]];
    assert.deepEqual(io.outputs.map((s) => [s.name, s.shape]), expected);
    const out = await runModel(model, { image: floatTensor(image, imageShape) });
    // The attention is the channel mean of the last stage (the peer's F.mean(dim=1)).
    const [c, h, w] = info.layerShapes[info.defaultLayer]!;
    const features = out['features']!;
    const att = out[attentionName(info.defaultLayer)]!;
    for (const i of [0, 17, h * w + 5, BATCH * h * w - 1]) {
      const n = Math.floor(i / (h * w));
      let sum = 0;
      for (let k = 0; k < c; k++) sum += features[(n * c + k) * h * w + (i % (h * w))]!;
      assert.ok(Math.abs(sum / c - att[i]!) < 1e-5 * Math.max(1, Math.abs(att[i]!)));
    }
  });

  it('inference with weights as inputs equals baked weights, and equals the train-mode forward when its running statistics are the batch statistics', async () => {
    // Train-mode forward with weights as inputs, exposing each BatchNorm's batch statistics.
    const g = new Graph('train_forward');
    const tape = new Tape(g);
    const x = g.input('image', 'float32', imageShape);
    const params = new Map(paramSpecs(PRESET, CLASSES).map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
    const fwd = buildForward(tape, { preset: PRESET, numClasses: CLASSES }, x, params, 'train');
    g.output(fwd.logits, 'logits');
    fwd.bnStats.forEach((s) => {
      g.output(s.batchMean, `mean:${s.mean}`);
      g.output(s.batchVar, `var:${s.variance}`);
    });
    const feeds: Feeds = { image: floatTensor(image, imageShape), ...weightFeeds(weights) };
    const train = await runModel(toModelBytes(g), feeds);

    // Eval-mode BN with running stats := the batch mean and the biased batch variance is train-mode BN.
    const batchStats: ParamStore = new Map(weights);
    for (const s of fwd.bnStats) {
      const count = BATCH * info.layerShapes[layerOfBn(s.mean)]!.slice(1).reduce((a, b) => a * b, 1);
      batchStats.set(s.mean, train[`mean:${s.mean}`]!);
      batchStats.set(s.variance, train[`var:${s.variance}`]!.map((v) => (v * (count - 1)) / count));
    }
    const asInputs = buildInference({ preset: PRESET, numClasses: CLASSES, batch: BATCH }, 'inputs');
    const viaInputs = await runModel(asInputs.model, { image: floatTensor(image, imageShape), ...weightFeeds(batchStats) });
    const baked = await runModel(buildInference({ preset: PRESET, numClasses: CLASSES, batch: BATCH }, batchStats).model, { image: floatTensor(image, imageShape) });
    for (const name of asInputs.io.outputs.map((s) => s.name)) assert.ok(maxRelDiff(viaInputs[name]!, baked[name]!) < 1e-6, name);
    const diff = maxRelDiff(viaInputs['logits']!, train['logits']!);
    assert.ok(diff < 1e-5, `inference logits differ from the train-mode forward by ${diff.toExponential(2)} of their scale`);
  });

  it('explanation gradients at each layer match finite differences of the target logits', async () => {
    const layers = ['stem', 'stage2', 'stage3'];
    const { model, io } = buildExplanation({ preset: PRESET, numClasses: CLASSES, batch: BATCH, layers }, weights);
    assert.deepEqual(io.inputs.map((s) => s.name), ['image', 'target']);
    for (const l of layers) {
      assert.deepEqual(io.outputs.find((s) => s.name === gradientName(l))?.shape, [BATCH, ...info.layerShapes[l]!]);
    }
    const session = await createSession(model);
    const target = [4, 1];
    const run = async (img: Float32Array): Promise<Outputs> => {
      const out = await session.run({ image: floatTensor(img, imageShape), target: int64Tensor(target, [BATCH]) });
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
    };
    const score = (o: Outputs): number => target.reduce((s, t, n) => s + o['logits']![n * CLASSES + t]!, 0);
    try {
      const base = await run(image);
      // After the last stage come only the average pool and the head: ∂logit_t/∂act[c,h,w] = W_fc[t, c] / (H·W).
      const [c, h, w] = info.layerShapes['stage3']!;
      const fc = weights.get('fc.weight')!;
      const last = base[gradientName('stage3')]!;
      for (let n = 0; n < BATCH; n++) {
        for (const k of [0, 7, c - 1]) {
          for (const p of [0, h * w - 1]) assert.ok(Math.abs(last[(n * c + k) * h * w + p]! - fc[target[n]! * c + k]! / (h * w)) < 1e-8);
        }
      }
      // score depends on the image only through each layer's output, so for an image direction u:
      // d score/dε = ⟨∂score/∂act, d act/dε⟩, with both derivatives along u taken by central differences.
      const eps = 1e-3;
      const imageGrad = await targetGradientOfImage(weights, image, target);
      for (const seed of [101, 202]) {
        // Random magnitudes with the signs of the image gradient: a random direction along which the score moves
        // well above float32 noise and the ReLU kinks crossed (a fully random one nearly cancels).
        const r = randn(image.length, seed);
        const u = imageGrad.map((gr, i) => Math.sign(gr) * Math.abs(r[i]!));
        const plus = await run(image.map((v, i) => v + eps * u[i]!));
        const minus = await run(image.map((v, i) => v - eps * u[i]!));
        const numeric = (score(plus) - score(minus)) / (2 * eps);
        for (const l of layers) {
          const grad = base[gradientName(l)]!;
          const ap = plus[activationName(l)]!;
          const am = minus[activationName(l)]!;
          let analytic = 0;
          for (let i = 0; i < grad.length; i++) analytic += (grad[i]! * (ap[i]! - am[i]!)) / (2 * eps);
          const rel = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric));
          assert.ok(rel < 1e-2, `${l}, direction ${seed}: ⟨grad, Δact⟩ ${analytic}, Δscore ${numeric} (relative ${rel.toExponential(2)})`);
        }
      }
    } finally {
      await session.release();
    }
  });
});

/** ∂(Σ_n logits[n, t_n])/∂image with eval-mode BatchNorm (only to choose test directions). */
async function targetGradientOfImage(weights: ParamStore, image: Float32Array, target: readonly number[]): Promise<Float32Array> {
  const g = new Graph('image_gradient');
  const tape = new Tape(g);
  const x = g.input('image', 'float32', imageShape);
  const params = new Map(paramSpecs(PRESET, CLASSES).map((s) => [s.name, g.constant(weights.get(s.name)!, s.shape)]));
  const fwd = buildForward(tape, { preset: PRESET, numClasses: CLASSES }, x, params, 'eval');
  const seed = g.constant(Float32Array.from({ length: BATCH * CLASSES }, (_, i) => (target[Math.floor(i / CLASSES)] === i % CLASSES ? 1 : 0)), [BATCH, CLASSES]);
  g.output(tape.gradients(fwd.logits, [x], seed).get(x.name)!, 'grad');
  return (await runModel(toModelBytes(g), { image: floatTensor(image, imageShape) }))['grad']!;
}

/** The layer whose spatial size a BatchNorm of tiny64 works at ('stem.1' → stem, 'stages.1.0.bn1' → stage2). */
function layerOfBn(name: string): string {
  const m = /^stages\.(\d+)\./.exec(name);
  return m ? `stage${Number(m[1]) + 1}` : 'stem';
}
