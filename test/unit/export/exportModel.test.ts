/**
 * `au-lens export`: the exported model computes what the training code's graphs compute, for any batch size,
 * carries its description in metadata, and is written atomically or not at all.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { Tape } from '../../../src/trainer/autodiff/tape';
import { runCli } from '../../../src/trainer/cli/main';
import { dynamicBatchModel } from '../../../src/trainer/export/dynamicBatch';
import { exportCheckpoint, exportCheckpointBytes } from '../../../src/trainer/export/exportModel';
import { checkpointModel, ModelFileError } from '../../../src/trainer/export/modelDescription';
import { describeExportedModel, ForeignModelError, METADATA_KEYS, metadataOf, PRODUCER_VERSION } from '../../../src/trainer/export/modelMetadata';
import { attentionName, buildInference } from '../../../src/trainer/graphs/inference';
import { buildForward } from '../../../src/trainer/models/forward';
import { paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import { Graph } from '../../../src/trainer/onnx/graph';
import { reshape } from '../../../src/trainer/onnx/ops';
import { toModelBytes } from '../../../src/trainer/onnx/serialize';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession, floatTensor } from '../../../src/trainer/onnx/session';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { randn } from '../../helpers/gradcheck';
import { makeTempDir } from '../io/fixtures';
import type { Outputs } from './fixtures';
import { maxRelDiff, randomCheckpoint, runOnce } from './fixtures';

const PRESET = 'tiny64';
const info = presetInfo(PRESET);
const S = info.inputSize;

describe('export: the exported ONNX model', function () {
  this.timeout(60000);
  const checkpoint = randomCheckpoint(5, ['neutral', 'happy', 'surprise', 'sad', 'anger']);
  const { description, params } = checkpointModel(checkpoint, 'test.ckpt');
  const k = checkpoint.labels.length;
  const specs = paramSpecs(PRESET, k);
  const weightFeeds: Feeds = Object.fromEntries(specs.map((s) => [s.name, floatTensor(params.get(s.name)!, s.shape)]));
  const { bytes } = exportCheckpointBytes(checkpoint, 'test.ckpt');
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('export'));
  });
  after(() => cleanup());

  /** The train-step forward (buildForward) in eval mode, weights as inputs, exposing every layer. */
  async function trainForwardEval(image: Float32Array, batch: number): Promise<Outputs> {
    const g = new Graph('forward_eval');
    const tape = new Tape(g);
    const x = g.input('image', 'float32', [batch, 3, S, S]);
    const inputs = new Map(specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
    const fwd = buildForward(tape, { preset: PRESET, numClasses: k }, x, inputs, 'eval');
    g.output(fwd.logits, 'logits');
    for (const layer of fwd.layers) g.output(fwd.stage(layer), `stage:${layer}`);
    return runOnce(toModelBytes(g), { image: floatTensor(image, [batch, 3, S, S]), ...weightFeeds });
  }

  for (const batch of [1, 3]) {
    it(`equals the inference graph with weights as inputs and the eval-mode training forward at batch ${batch}`, async () => {
      const image = randn(batch * 3 * S * S, 40 + batch);
      const exported = await runOnce(bytes, { image: floatTensor(image, [batch, 3, S, S]) });
      const reference = await runOnce(buildInference({ preset: PRESET, numClasses: k, batch }, 'inputs').model, { image: floatTensor(image, [batch, 3, S, S]), ...weightFeeds });
      const names = ['logits', ...info.layers.map(attentionName), 'features'];
      assert.deepEqual(Object.keys(exported).sort(), [...names].sort());
      for (const name of names) {
        const diff = maxRelDiff(exported[name]!, reference[name]!);
        assert.ok(diff < 1e-6, `${name}: ${diff.toExponential(2)}`);
      }
      const forward = await trainForwardEval(image, batch);
      assert.ok(maxRelDiff(exported['logits']!, forward['logits']!) < 1e-5);
      assert.ok(maxRelDiff(exported['features']!, forward[`stage:${info.defaultLayer}`]!) < 1e-5);
      // att.<layer> is the channel mean of the layer's output.
      const [c, h, w] = info.layerShapes['stage2']!;
      const act = forward['stage:stage2']!;
      const att = exported[attentionName('stage2')]!;
      for (const i of [0, h * w - 1, (batch - 1) * h * w + 7]) {
        const n = Math.floor(i / (h * w));
        let sum = 0;
        for (let ch = 0; ch < c; ch++) sum += act[(n * c + ch) * h * w + (i % (h * w))]!;
        assert.ok(Math.abs(sum / c - att[i]!) < 1e-5);
      }
    });
  }

  it('declares a symbolic batch dimension, the weights as named initializers, and no other inputs', async () => {
    const session = await createSession(bytes);
    try {
      assert.deepEqual(session.inputNames, ['image']);
      const input = session.inputMetadata[0]!;
      assert.ok(input.isTensor);
      assert.deepEqual(input.shape, ['batch', 3, S, S]);
      const logits = session.outputMetadata.find((m) => m.name === 'logits')!;
      assert.ok(logits.isTensor);
      assert.deepEqual(logits.shape, ['batch', k]);
    } finally {
      await session.release();
    }
    const proto = onnx.ModelProto.decode(bytes);
    const initializers = new Set(proto.graph!.initializer!.map((t) => t.name));
    for (const s of specs) assert.ok(initializers.has(s.name), s.name);
    assert.equal(proto.producerName, 'au-lens');
    assert.equal(proto.producerVersion, PRODUCER_VERSION);
    assert.equal(Number(proto.opsetImport.find((o) => o.domain === '')?.version), 17);
  });

  it('carries the model description in metadata_props, and reads it back', () => {
    const metadata = metadataOf(onnx.ModelProto.decode(bytes));
    assert.deepEqual(describeExportedModel(metadata, 'model.onnx'), description);
    assert.equal(metadata.get(METADATA_KEYS.labels), JSON.stringify(['neutral', 'happy', 'surprise', 'sad', 'anger']));
    assert.equal(metadata.get(METADATA_KEYS.inputSize), String(S));
    assert.equal(metadata.get(METADATA_KEYS.mean), '[0.485,0.456,0.406]');
    assert.equal(metadata.get(METADATA_KEYS.std), '[0.229,0.224,0.225]');
    assert.deepEqual(JSON.parse(metadata.get(METADATA_KEYS.codebook)!), JSON.parse(JSON.stringify(codebookPreset('paper'))));
    assert.deepEqual(JSON.parse(metadata.get(METADATA_KEYS.attentionLayers)!), info.layers);
    assert.equal(metadata.get(METADATA_KEYS.preset), PRESET);
    assert.equal(metadata.get(METADATA_KEYS.producerVersion), PRODUCER_VERSION);
    assert.equal(metadata.get('au_lens.source.checkpoint'), 'test.ckpt');
  });

  it('refuses a foreign model and damaged metadata with the key at fault', () => {
    const metadata = metadataOf(onnx.ModelProto.decode(bytes));
    assert.throws(() => describeExportedModel(new Map(), 'other.onnx'), (e: unknown) => e instanceof ForeignModelError && /give it a sidecar config: au-lens inspect/.test(e.message));
    const broken = (key: string, value: string): Map<string, string> => new Map([...metadata, [key, value]]);
    assert.throws(() => describeExportedModel(broken(METADATA_KEYS.labels, '["happy","joyful"]'), 'm.onnx'), /au_lens\.labels/);
    assert.throws(() => describeExportedModel(broken(METADATA_KEYS.preset, 'vgg16'), 'm.onnx'), /unknown model preset "vgg16"/);
    assert.throws(() => describeExportedModel(broken(METADATA_KEYS.std, '[0.2, 0, 0.2]'), 'm.onnx'), /au_lens\.normalisation\.std/);
    assert.throws(() => describeExportedModel(broken(METADATA_KEYS.formatVersion, '2'), 'm.onnx'), /format version 2/);
    assert.throws(() => describeExportedModel(broken(METADATA_KEYS.codebook, '{"name":"x","actionUnits":[]}'), 'm.onnx'), ModelFileError);
  });

  it('writes the file atomically and leaves nothing behind when the checkpoint cannot be exported', async () => {
    const ckpt = path.join(dir, 'model.ckpt');
    await saveCheckpoint(ckpt, checkpoint);
    const out = path.join(dir, 'out', 'model.onnx');
    const summary = await exportCheckpoint(ckpt, out);
    assert.equal(summary.bytes, (await readFile(out)).length);
    assert.deepEqual(summary.inputs, [{ name: 'image', shape: ['batch', 3, S, S] }]);
    assert.deepEqual(summary.outputs.map((o) => o.name), ['logits', ...info.layers.map(attentionName), 'features']);

    const unknown: Checkpoint = { ...checkpoint, model: { ...checkpoint.model, preset: 'vgg16' } };
    const bad = path.join(dir, 'unknown.ckpt');
    await saveCheckpoint(bad, unknown);
    const before = await readFile(out);
    await assert.rejects(exportCheckpoint(bad, out), /unknown model preset "vgg16".*tiny64, small96, resnet18, resnet50/);
    const mismatched: Checkpoint = { ...checkpoint, tensors: { model: checkpoint.tensors.model.filter((t) => t.name !== 'fc.bias'), momentum: [] } };
    await saveCheckpoint(bad, mismatched);
    await assert.rejects(exportCheckpoint(bad, out), /no tensor "fc\.bias"/);
    assert.deepEqual(await readFile(out), before);
    assert.deepEqual(await readdir(path.dirname(out)), ['model.onnx']);
    await mkdir(path.join(dir, 'folder.onnx'));
    await assert.rejects(exportCheckpoint(ckpt, path.join(dir, 'folder.onnx')), /is a folder/);
  });

  it('makes only Reshape targets batch-free and refuses graphs that bake the batch in elsewhere', async () => {
    const flatten = (batch: number): Graph => {
      const g = new Graph('flatten');
      const x = g.input('x', 'float32', [batch, 2, 3]);
      g.output(reshape(g, x, [batch, 6]), 'y');
      return g;
    };
    const model = dynamicBatchModel(flatten, { metadata: {} });
    const out = await runOnce(model, { x: floatTensor(Float32Array.from({ length: 20 * 6 }, (_, i) => i), [20, 2, 3]) });
    assert.equal(out['y']!.length, 120);
    const baked = (batch: number): Graph => {
      const g = new Graph('baked');
      const x = g.input('x', 'float32', [batch, 2]);
      g.output(g.node('Add', [x, g.constant(new Float32Array(2).fill(batch), [2])], [{ dtype: 'float32', shape: [batch, 2] }])[0]!, 'y');
      return g;
    };
    assert.throws(() => dynamicBatchModel(baked, { metadata: {} }), /constant "const_0" depends on the batch/);
    const wide = (batch: number): Graph => {
      const g = new Graph('wide');
      g.output(g.input('x', 'float32', [1, batch]), 'x');
      return g;
    };
    assert.throws(() => dynamicBatchModel(wide, { metadata: {} }), /dimension 1 of input "x" depends on the batch/);
  });

  it('au-lens export writes the model and reports a usage error for a missing flag or a wrong extension', async () => {
    const ckpt = path.join(dir, 'cli.ckpt');
    await saveCheckpoint(ckpt, checkpoint);
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => errors.push(l) };
    const out = path.join(dir, 'cli.onnx');
    assert.equal(await runCli(['export', '--checkpoint', ckpt, '--out', out, '--json'], io), 0, errors.join('\n'));
    const summary = JSON.parse(lines.join('\n')) as { out: string; preset: string; batch: string };
    assert.deepEqual([summary.out, summary.preset, summary.batch], [out, PRESET, 'batch']);
    assert.equal((await readFile(out)).length, JSON.parse(lines[0]!).bytes);
    assert.equal(await runCli(['export', '--checkpoint', ckpt], io), 2);
    assert.match(errors.join('\n'), /missing required flag --out/);
    assert.equal(await runCli(['export', '--checkpoint', ckpt, '--out', path.join(dir, 'm.pt')], io), 2);
    await writeFile(path.join(dir, 'garbage.ckpt'), 'not a checkpoint');
    assert.equal(await runCli(['export', '--checkpoint', path.join(dir, 'garbage.ckpt'), '--out', out], io), 1);
    assert.match(errors.join('\n'), /not an AU Lens checkpoint/);
  });
});
