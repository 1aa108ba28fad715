/**
 * face-api's expression network as an AU Lens model: its weights read from the installed package, our forward
 * scoring like face-api's own predictExpressions (tfjs-wasm) on face crops, a backward that matches finite
 * differences through all four blocks and the head, and clear errors for a manifest of another layout.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { evalTransformSample } from '../../../src/trainer/data/augment';
import { cropImage } from '../../../src/trainer/data/prepare';
import { resampleRegion, toBytes } from '../../../src/trainer/data/resample';
import { buildInference } from '../../../src/trainer/graphs/inference';
import { FACEAPI_EXPRESSION_MANIFEST, faceApiModelDir, readFaceApiExpressionWeights } from '../../../src/trainer/io/faceApiWeights';
import { decodeImage } from '../../../src/trainer/io/image';
import { LandmarkDetector } from '../../../src/trainer/io/landmarks';
import { samePads } from '../../../src/trainer/models/faceApiExpression';
import { FACEAPI_EXPRESSION_LABELS, FACEAPI_NORMALISATION } from '../../../src/trainer/models/faceApiInfo';
import { decodeFaceApiWeights, FaceApiWeightsError } from '../../../src/trainer/models/faceApiWeights';
import { buildForward } from '../../../src/trainer/models/forward';
import { FACEAPI_EXPRESSION } from '../../../src/trainer/models/modelNames';
import { paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import type { ParamStore } from '../../../src/trainer/models/types';
import { Graph, numel } from '../../../src/trainer/onnx/graph';
import { mul, reduceSum } from '../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { restrictClasses } from '../../../src/trainer/train/initWeights';
import { pretrainedCheckpoint } from '../../../src/trainer/train/pretrained';
import { faceApiExpressionReference } from '../../helpers/faceApiReference';
import { randn } from '../../helpers/gradcheck';
import { ck48Dir, faceApiDemoDir } from '../../helpers/paths';
import type { Outputs } from '../export/fixtures';
import { runOnce } from '../export/fixtures';
import { makeTempDir } from '../io/fixtures';

const S = 112;
const K = FACEAPI_EXPRESSION_LABELS.length;

function softmax(logits: Float32Array, offset: number, k: number): number[] {
  const row = Array.from(logits.subarray(offset, offset + k));
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const z = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / z);
}

/** The manifest and shard of the installed package, to alter. */
async function installedGroups(): Promise<{ manifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[] }[]; data: Buffer }> {
  const dir = faceApiModelDir();
  const manifest = JSON.parse(await readFile(path.join(dir, FACEAPI_EXPRESSION_MANIFEST), 'utf8'));
  return { manifest, data: await readFile(path.join(dir, manifest[0].paths[0])) };
}

describe('models/faceApiExpression: face-api\'s expression network', function () {
  this.timeout(60_000);
  let params: ParamStore;

  before(async () => {
    params = (await readFaceApiExpressionWeights()).params;
  });

  it('reads the installed weights into our layout, with a layer per block at 56, 28, 14 and 7 px', () => {
    const specs = paramSpecs(FACEAPI_EXPRESSION, K);
    assert.deepEqual([...params.keys()], specs.map((s) => s.name));
    for (const s of specs) assert.equal(params.get(s.name)!.length, numel(s.shape), s.name);
    // 4 + 3·2 + 3·4 separable weights and 16 biases, plus the head: 31 + 16 + 2 tensors.
    assert.equal(specs.length, 49);
    const info = presetInfo(FACEAPI_EXPRESSION);
    assert.deepEqual(info.layerShapes, { dense0: [32, 56, 56], dense1: [64, 28, 28], dense2: [128, 14, 14], dense3: [256, 7, 7] });
    assert.equal(info.defaultLayer, 'dense3');
    assert.deepEqual(info.normalisation, FACEAPI_NORMALISATION);
    // TensorFlow 'same': a stride-2 3×3 conv of an even side pads 0 before and 1 after.
    assert.deepEqual(samePads(112, 3, 2), [0, 0, 1, 1]);
    assert.deepEqual(samePads(56, 3, 1), [1, 1, 1, 1]);
    assert.deepEqual(samePads(28, 1, 1), [0, 0, 0, 0]);
  });

  it('scores like face-api\'s own predictExpressions on face crops of its demo photos and CK+48 (max abs diff ≤ 1e-4)', async () => {
    const crops: { label: string; rgb: Uint8Array }[] = [];
    const detector = await LandmarkDetector.create();
    for (const name of ['sample1.jpg', 'sample3.jpg']) {
      const image = await decodeImage(path.join(faceApiDemoDir, name));
      const faces = await detector.detect(image);
      assert.ok(faces.length > 0, `${name}: a face`);
      // The crop the model takes of a photo: the box alone, black around it.
      for (const [i, face] of faces.slice(0, 2).entries()) crops.push({ label: `${name} face ${i}`, rgb: cropImage(image, face, S, 'box').rgb });
    }
    if (existsSync(ck48Dir)) {
      // The first image of each class folder, read in place (never copied), the whole 48×48 crop as the face.
      for (const cls of ['anger', 'disgust', 'fear', 'happy', 'sad', 'surprise']) {
        const file = path.join(ck48Dir, cls, readdirSync(path.join(ck48Dir, cls)).filter((f) => f.endsWith('.png')).sort()[0]!);
        const image = await decodeImage(file);
        crops.push({ label: `ck48 ${cls}`, rgb: toBytes(resampleRegion(image, { x: 0, y: 0, side: image.width }, S)) });
      }
    }
    const n = crops.length;
    const batch = new Float32Array(n * 3 * S * S);
    // Through the pipeline's own eval transform and normalisation (at side S the resampling is the identity).
    crops.forEach((c, i) => batch.set(evalTransformSample({ side: S, rgb: c.rgb }, S, FACEAPI_NORMALISATION).image, i * 3 * S * S));
    const { model } = buildInference({ preset: FACEAPI_EXPRESSION, numClasses: K, batch: n }, params);
    const out = await runOnce(model, { image: floatTensor(batch, [n, 3, S, S]) });

    const reference = await faceApiExpressionReference();
    let worst = 0;
    const predicted = new Set<number>();
    for (const [i, c] of crops.entries()) {
      const ours = softmax(out['logits']!, i * K, K);
      const theirs = await reference.predict(c.rgb, S);
      const diff = Math.max(...ours.map((p, k) => Math.abs(p - theirs[k]!)));
      assert.ok(diff <= 1e-4, `${c.label}: max abs diff ${diff.toExponential(2)}\n  ours   ${ours.map((p) => p.toFixed(5))}\n  theirs ${theirs.map((p) => p.toFixed(5))}`);
      worst = Math.max(worst, diff);
      predicted.add(ours.indexOf(Math.max(...ours)));
    }
    // Not a constant network: the crops are given different classes.
    assert.ok(predicted.size >= 3, `predicted classes: ${[...predicted].map((k) => FACEAPI_EXPRESSION_LABELS[k]).join(', ')}`);
    assert.ok(worst < 1e-4);
  });

  it('differentiates: the parameter gradient of every block and of the head matches finite differences', async () => {
    const specs = paramSpecs(FACEAPI_EXPRESSION, K);
    const g = new Graph('faceapi_grad');
    const tape = new Tape(g);
    const image = g.input('image', 'float32', [2, 3, S, S]);
    const weights = new Map(specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
    const forward = buildForward(tape, { preset: FACEAPI_EXPRESSION, numClasses: K }, image, weights, 'train');
    const r = g.constant(randn(2 * K, 11), [2, K]);
    g.output(reduceSum(g, mul(g, forward.logits, r), [0, 1], false), 'loss');
    // ∂(Σ logits·R)/∂logits = R seeds the backward.
    const grads = tape.gradients(forward.logits, [...weights.values()], r);
    for (const s of specs) g.output(grads.get(s.name)!, `grad.${s.name}`);
    const session = await createSession(toModelBytes(g));
    try {
      const imageFeed = floatTensor(randn(2 * 3 * S * S, 5, 0.5), [2, 3, S, S]);
      const run = (w: ParamStore): Promise<Outputs> => runOnce(session, { image: imageFeed, ...Object.fromEntries(specs.map((s) => [s.name, floatTensor(w.get(s.name)!, s.shape)])) });
      const base = await run(params);
      const groups = ['dense0.', 'dense1.', 'dense2.', 'dense3.', 'fc.'];
      for (const [gi, prefix] of groups.entries()) {
        // A direction over this group's parameters, each scaled to its tensor's RMS.
        const direction = new Map<string, Float32Array>();
        for (const s of specs.filter((p) => p.name.startsWith(prefix))) {
          const w = params.get(s.name)!;
          const rms = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length) || 1;
          direction.set(s.name, randn(w.length, 100 + gi * 7 + direction.size, rms));
        }
        // The head enters the loss linearly, so any step is exact there. In the blocks, hundreds of thousands of
        // ReLUs flip under a step, an error that shrinks only linearly with it (8 % at 1e-4 of each tensor's RMS,
        // 2.5 % at 2e-5, < 1 % at 1e-5), while float32 rounding of the loss grows as the step shrinks.
        const eps = prefix === 'fc.' ? 1e-2 : 1e-5;
        const moved = (sign: number): ParamStore => new Map([...params].map(([name, w]) => {
          const d = direction.get(name);
          return [name, d ? w.map((v, i) => v + sign * eps * d[i]!) : w];
        }));
        const [plus, minus] = [moved(1), moved(-1)];
        // The step as float32 stores it, so rounding of the weights themselves does not count as an error.
        const analytic = [...direction.keys()].reduce((sum, name) => {
          const [p, m, grad] = [plus.get(name)!, minus.get(name)!, base[`grad.${name}`]!];
          return sum + grad.reduce((a, v, i) => a + v * (p[i]! - m[i]!), 0) / (2 * eps);
        }, 0);
        const numeric = ((await run(plus))['loss']![0]! - (await run(minus))['loss']![0]!) / (2 * eps);
        const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-3);
        // Measured: ≤ 0.3 % here, ≤ 0.9 % with other float paths of the conv kernels; a lost or doubled branch of a
        // dense block would be tens of percent off.
        assert.ok(rel < 3e-2, `${prefix}*: analytic ${analytic}, finite differences ${numeric} (relative error ${rel.toExponential(2)})`);
      }
    } finally {
      await session.release();
    }
  });

  it('becomes a checkpoint with our label names in face-api\'s order, and can be scored on some of its classes', async () => {
    const ckpt = await pretrainedCheckpoint(FACEAPI_EXPRESSION);
    assert.deepEqual(ckpt.labels, ['neutral', 'happy', 'sad', 'anger', 'fear', 'disgust', 'surprise']);
    assert.deepEqual(ckpt.normalisation, FACEAPI_NORMALISATION);
    assert.equal(ckpt.model.inputSize, S);
    assert.equal(ckpt.lambda, 0);
    const six = restrictClasses(ckpt, ['happy', 'surprise', 'fear', 'anger', 'disgust', 'sad']);
    const fc = (c: typeof ckpt, name: string): Float32Array => c.tensors.model.find((t) => t.name === name)!.data;
    // Row k of the cut head is the row of six.labels[k] in the full head.
    six.labels.forEach((label, k) => {
      const row = ckpt.labels.indexOf(label);
      assert.deepEqual(fc(six, 'fc.weight').subarray(k * 256, (k + 1) * 256), fc(ckpt, 'fc.weight').subarray(row * 256, (row + 1) * 256));
      assert.equal(fc(six, 'fc.bias')[k], fc(ckpt, 'fc.bias')[row]);
    });
    assert.equal(six.model.numClasses, 6);
    assert.throws(() => restrictClasses(ckpt, ['happy', 'contempt']), /no class contempt/);
  });

  describe('a weight manifest of another layout', () => {
    const source = 'm.json';
    const decode = (manifest: { weights: unknown }[], data: Uint8Array): ParamStore => decodeFaceApiWeights(manifest.map((m) => ({ weights: m.weights, data })), source);

    it('is read as face-api reads it when unaltered', async () => {
      const { manifest, data } = await installedGroups();
      const decoded = decode(manifest, data);
      for (const [name, v] of decoded) assert.deepEqual(v, params.get(name), name);
    });

    it('names a missing tensor', async () => {
      const { manifest, data } = await installedGroups();
      manifest[0]!.weights = manifest[0]!.weights.filter((w) => w.name !== 'dense2/conv1/bias');
      assert.throws(() => decode(manifest, data), (e: unknown) => e instanceof FaceApiWeightsError && /m\.json: the manifest has no tensor "dense2\/conv1\/bias" \[128\]/.test(e.message));
    });

    it('names a mis-shaped tensor with both shapes', async () => {
      const { manifest, data } = await installedGroups();
      manifest[0]!.weights.find((w) => w.name === 'dense3/conv2/depthwise_filter')!.shape = [3, 3, 128, 1];
      assert.throws(() => decode(manifest, data), /tensor "dense3\/conv2\/depthwise_filter" is \[3, 3, 128, 1\], expected \[3, 3, 256, 1\]/);
      const fc = await installedGroups();
      fc.manifest[0]!.weights.find((w) => w.name === 'fc/weights')!.shape = [256, 8];
      assert.throws(() => decode(fc.manifest, fc.data), /tensor "fc\/weights" is \[256, 8\], expected \[256, 7\]/);
    });

    it('names a tensor the network does not have', async () => {
      const { manifest, data } = await installedGroups();
      manifest[0]!.weights.push({ name: 'dense4/conv0/bias', shape: [512], dtype: 'float32' });
      assert.throws(() => decode(manifest, data), /has a tensor "dense4\/conv0\/bias" \[512\] that faceExpressionNet does not have/);
    });

    it('reports truncated or oversized shards, unknown quantisation and another dtype', async () => {
      const { manifest, data } = await installedGroups();
      assert.throws(() => decode(manifest, data.subarray(0, data.length - 10)), /the weight data ends inside tensor "fc\/bias"/);
      assert.throws(() => decode(manifest, Buffer.concat([data, Buffer.alloc(4)])), /describes 329468 bytes of weights, its shards hold 329472/);
      manifest[0]!.weights[0]!.quantization = { dtype: 'float16' };
      assert.throws(() => decode(manifest, data), /"dense0\/conv0\/filters" uses float16 quantisation/);
      manifest[0]!.weights[0]!.dtype = 'int32';
      assert.throws(() => decode(manifest, data), /"dense0\/conv0\/filters" is int32, expected float32/);
    });

    it('reads an altered manifest from a model folder and names the file; a missing folder names the path', async () => {
      const { dir, cleanup } = await makeTempDir('faceapi-weights');
      try {
        const { manifest, data } = await installedGroups();
        manifest[0]!.weights.find((w) => w.name === 'dense1/conv3/pointwise_filter')!.shape = [1, 1, 64, 32];
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, FACEAPI_EXPRESSION_MANIFEST), JSON.stringify(manifest));
        await writeFile(path.join(dir, manifest[0]!.paths[0]!), data);
        const file = path.join(dir, FACEAPI_EXPRESSION_MANIFEST);
        await assert.rejects(pretrainedCheckpoint(FACEAPI_EXPRESSION, { modelDir: dir }), (e: unknown) =>
          e instanceof FaceApiWeightsError && e.message.startsWith(`${file}: tensor "dense1/conv3/pointwise_filter" is [1, 1, 64, 32], expected [1, 1, 64, 64]`));
        await assert.rejects(readFaceApiExpressionWeights(path.join(dir, 'nowhere')), /cannot read the weights manifest .*nowhere.*ENOENT.*is @vladmandic\/face-api installed/);
      } finally {
        await cleanup();
      }
    });
  });
});
