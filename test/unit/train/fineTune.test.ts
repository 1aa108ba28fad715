/**
 * Fine-tuning from a pretrained model (`au-lens train --init faceapi-expression`): the run starts from face-api's
 * weights with the classifier fitted to the run's classes, trains with the composite loss, and its checkpoint
 * exports to ONNX, evaluates and explains like any other; clear errors for an --init that does not fit the run.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runCli } from '../../../src/trainer/cli/main';
import { openModel } from '../../../src/trainer/explain/modelFile';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import { checkpointModel } from '../../../src/trainer/export/modelDescription';
import { attentionName, buildInference } from '../../../src/trainer/graphs/inference';
import { FACEAPI_NORMALISATION } from '../../../src/trainer/models/faceApiInfo';
import { FACEAPI_EXPRESSION } from '../../../src/trainer/models/modelNames';
import { paramSpecs } from '../../../src/trainer/models/params';
import { presetInfo } from '../../../src/trainer/models/presets';
import { floatTensor } from '../../../src/trainer/onnx/session';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { CheckpointMismatchError, loadCheckpoint } from '../../../src/trainer/train/checkpoint';
import { initialWeights } from '../../../src/trainer/train/initWeights';
import { TrainingError } from '../../../src/trainer/train/options';
import { pretrainedCheckpoint } from '../../../src/trainer/train/pretrained';
import { randn } from '../../helpers/gradcheck';
import { runOnce } from '../export/fixtures';
import { eventsOf, recordRun, trainOptions, useTrainingWorkspace } from './fixtures';

const S = presetInfo(FACEAPI_EXPRESSION).inputSize;

const tensor = (c: Checkpoint, name: string): Float32Array => c.tensors.model.find((t) => t.name === name)!.data;

describe('train --init: fine-tuning face-api\'s expression network', function () {
  this.timeout(60_000);
  const ws = useTrainingWorkspace('fine-tune');
  let pretrained: Checkpoint;

  before(async () => {
    pretrained = await pretrainedCheckpoint(FACEAPI_EXPRESSION);
  });

  it('fits the head to the run\'s classes: kept, rows picked by class, or re-created for a class it lacks', () => {
    const kept = initialWeights(pretrained, FACEAPI_EXPRESSION, pretrained.labels, 0);
    assert.equal(kept.head, 'kept');
    assert.deepEqual(kept.params.get('fc.weight'), tensor(pretrained, 'fc.weight'));

    const picked = initialWeights(pretrained, FACEAPI_EXPRESSION, ['surprise', 'happy'], 0);
    assert.equal(picked.head, 'selected');
    const fc = tensor(pretrained, 'fc.weight');
    assert.deepEqual(picked.params.get('fc.weight'), Float32Array.from([...fc.subarray(6 * 256, 7 * 256), ...fc.subarray(256, 512)]));
    assert.deepEqual(picked.params.get('fc.bias'), Float32Array.of(tensor(pretrained, 'fc.bias')[6]!, tensor(pretrained, 'fc.bias')[1]!));
    // The body is the pretrained one, tensor for tensor.
    assert.deepEqual(picked.params.get('dense2.conv1.depthwise.weight'), tensor(pretrained, 'dense2.conv1.depthwise.weight'));

    const fresh = initialWeights(pretrained, FACEAPI_EXPRESSION, ['happy', 'contempt'], 0);
    assert.equal(fresh.head, 'recreated');
    const bound = 1 / Math.sqrt(256);
    assert.ok(fresh.params.get('fc.weight')!.every((v) => Math.abs(v) <= bound));
    assert.deepEqual(fresh.params.get('dense0.conv0.weight'), tensor(pretrained, 'dense0.conv0.weight'));
    assert.deepEqual([...fresh.params.keys()].sort(), paramSpecs(FACEAPI_EXPRESSION, 2).map((s) => s.name).sort());

    const broken: Checkpoint = { ...pretrained, tensors: { model: pretrained.tensors.model.filter((t) => t.name !== 'dense1.conv2.bias'), momentum: [] } };
    assert.throws(() => initialWeights(broken, FACEAPI_EXPRESSION, ['happy', 'sad'], 0), (e: unknown) => e instanceof CheckpointMismatchError && /no tensor "dense1\.conv2\.bias"/.test(e.message));
  });

  it('starts from the pretrained weights, trains with the composite loss, and exports like any checkpoint', async () => {
    const out = path.join(ws.root, 'run');
    const { events, outcome } = await recordRun(trainOptions(ws.data, out, ws.cache, { preset: FACEAPI_EXPRESSION, init: FACEAPI_EXPRESSION, epochs: 1, lr: 1e-3 }));
    assert.equal(outcome.status, 'completed');
    const [init] = eventsOf(events, 'init');
    assert.deepEqual({ ...init, from: [...init!.from] }, { type: 'init', source: FACEAPI_EXPRESSION, head: 'selected', from: [...pretrained.labels] });
    const steps = eventsOf(events, 'step');
    assert.ok(steps.length > 0 && steps.every((s) => Number.isFinite(s.loss) && s.align > 0), 'every step has the alignment term');

    const ckpt = await loadCheckpoint(outcome.last!);
    assert.equal(ckpt.model.preset, FACEAPI_EXPRESSION);
    assert.deepEqual(ckpt.normalisation, FACEAPI_NORMALISATION);
    assert.deepEqual(ckpt.layers, ['dense3']);
    assert.equal(ckpt.optimizer.settings?.['init'], FACEAPI_EXPRESSION);
    // One epoch at a small rate moves the weights a little away from face-api's.
    const moved = tensor(ckpt, 'dense1.conv1.pointwise.weight');
    const start = tensor(pretrained, 'dense1.conv1.pointwise.weight');
    const change = moved.reduce((m, v, i) => Math.max(m, Math.abs(v - start[i]!)), 0);
    assert.ok(change > 0 && change < 0.05, `largest change ${change}`);

    const onnxFile = path.join(ws.root, 'fine-tuned.onnx');
    const summary = await exportCheckpoint(outcome.last!, onnxFile);
    assert.equal(summary.preset, FACEAPI_EXPRESSION);
    assert.deepEqual(summary.outputs.map((o) => o.name), ['logits', 'att.dense0', 'att.dense1', 'att.dense2', 'att.dense3', 'features']);
    const { params } = checkpointModel(ckpt, outcome.last!);
    const batch = 2;
    const image = floatTensor(randn(batch * 3 * S * S, 3), [batch, 3, S, S]);
    const exported = await runOnce(await readFile(onnxFile), { image });
    const reference = await runOnce(buildInference({ preset: FACEAPI_EXPRESSION, numClasses: ckpt.labels.length, batch }, params).model, { image });
    for (const name of ['logits', attentionName('dense0'), attentionName('dense3'), 'features']) {
      const diff = exported[name]!.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[name]![i]!)), 0);
      assert.ok(diff < 1e-5, `${name}: ${diff}`);
    }
    // The exported file opens for explanation like any export: face-api's normalisation, CAM from its fc weights.
    const opened = await openModel(onnxFile, {}, { trusted: true });
    try {
      assert.equal(opened.kind, 'onnx');
      assert.deepEqual(opened.description.normalisation, FACEAPI_NORMALISATION);
      assert.deepEqual([opened.camLayer, opened.methods], ['dense3', ['cam']]);
      assert.deepEqual(opened.fcWeight, tensor(ckpt, 'fc.weight'));
    } finally {
      await opened.release();
    }
  });

  it('refuses an --init of another model or that cannot be read, before preparing any data', async () => {
    await assert.rejects(
      recordRun(trainOptions(ws.data, path.join(ws.root, 'other'), ws.cache, { preset: 'tiny64', init: FACEAPI_EXPRESSION })),
      (e: unknown) => e instanceof TrainingError && /cannot start a tiny64 run from faceapi-expression, which is a faceapi-expression model/.test(e.message),
    );
    await assert.rejects(
      recordRun(trainOptions(ws.data, path.join(ws.root, 'missing'), ws.cache, { init: path.join(ws.root, 'nope.ckpt') })),
      /cannot start from .*nope\.ckpt: .*file not found/,
    );
  });

  it('au-lens train --init sets the model and a fine-tuning learning rate from it; --init with --resume and eval --model of an unknown name are usage errors', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => errors.push(l) };
    const code = await runCli(['train', '--init', FACEAPI_EXPRESSION, '--data', ws.data, '--out', path.join(ws.root, 'cli'), '--epochs', '1', '--batch', '4',
      '--seed', '3', '--threads', '1', '--cache', ws.cache], io);
    assert.equal(code, 0, errors.join('\n'));
    assert.ok(lines.some((l) => /^init: faceapi-expression \(classes neutral, happy, sad, anger, fear, disgust, surprise\); classifier cut to the run's classes$/.test(l)), lines.join('\n'));
    const run = await loadCheckpoint(path.join(ws.root, 'cli', 'last.ckpt'));
    assert.equal(run.model.preset, FACEAPI_EXPRESSION);
    // A fine-tuning run starts at a tenth of the from-scratch learning rate unless --lr says otherwise.
    assert.equal(run.optimizer.settings?.['baseLr'], 0.005);

    errors.length = 0;
    assert.equal(await runCli(['train', '--init', FACEAPI_EXPRESSION, '--resume', '--data', ws.data, '--out', path.join(ws.root, 'cli')], io), 2);
    assert.match(errors.join('\n'), /--init starts a new run/);
    errors.length = 0;
    assert.equal(await runCli(['eval', '--model', 'vgg-face', '--data', ws.data], io), 2);
    assert.match(errors.join('\n'), /unknown --model "vgg-face"; use one of faceapi-expression/);
    errors.length = 0;
    assert.equal(await runCli(['eval', '--model', FACEAPI_EXPRESSION, '--checkpoint', 'x.ckpt', '--data', ws.data], io), 2);
    assert.match(errors.join('\n'), /give --checkpoint or --model, not both/);
  });

  it('au-lens eval --model scores the pretrained model over the classes the data has', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await runCli(['eval', '--model', FACEAPI_EXPRESSION, '--data', ws.data, '--methods', 'cam', '--batch', '8', '--threads', '1', '--cache', ws.cache],
      { out: (l) => lines.push(l), err: (l) => errors.push(l) });
    assert.equal(code, 0, errors.join('\n'));
    assert.match(errors.join('\n'), /has no neutral, anger, fear, disgust images: the model is scored over its 3 other classes \(argmax over their outputs only\)/);
    assert.match(lines.join('\n'), /^faceapi-expression on .* \(all split\)/);
    assert.match(lines.join('\n'), /dense0\s+dense1\s+dense2\s+dense3\s+CAM/);
  });
});
