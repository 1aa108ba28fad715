/**
 * `au-lens eval --faithfulness` and the editor's evaluation with faithfulness: per-image values in the records
 * and the eval file, per class and averaged summaries with intervals, the sanity check's re-drawn layers, a face
 * without landmarks counted by reason (never NaN), and the table the CLI prints.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { checkGates } from '../../../src/extension/evaluation/gates';
import { locateJsonValue } from '../../../src/extension/evaluation/jsonLocate';
import { runCli } from '../../../src/trainer/cli/main';
import type { EvalRunResult } from '../../../src/trainer/eval/evalFile';
import { parseEvalFile } from '../../../src/trainer/eval/evalFile';
import { EvalRequestError, runEvaluation } from '../../../src/trainer/eval/evalRun';
import { evaluateCheckpoint } from '../../../src/trainer/eval/evaluateCheckpoint';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { FakeDetector, syntheticPng, useTrainingWorkspace, writeDataset } from '../train/fixtures';

const MAPS = ['attention:stage3', 'cam:cam', 'cam:gradcam', 'cam:gradcam++', 'cam:layercam', 'au', 'random'];

function assertFinite(value: unknown, where = 'result'): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${where} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFinite(v, `${where}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertFinite(v, `${where}.${k}`);
}

describe('eval: faithfulness of a data set', function () {
  this.timeout(300_000);
  const ws = useTrainingWorkspace('eval-faithfulness');
  let model = '';
  let data = '';
  let result: EvalRunResult;

  before(async () => {
    model = path.join(ws.root, 'runs', 'r1', 'best.ckpt');
    await saveCheckpoint(model, untrainedCheckpoint('tiny64', 1, ['happy', 'sad', 'surprise']));
    data = await writeDataset(path.join(ws.root, 'small'), { classes: ['happy', 'sad', 'surprise'], subjects: 2 });
    await writeFile(path.join(data, 'sad', 'S009_noface_00000001.png'), await syntheticPng('sad', 99));
  });

  it('records every image\'s values, summarises them per class and averaged, and writes them to the eval file', async () => {
    result = await runEvaluation({ model, data, images: 'all', cacheDir: ws.cache, faithfulness: 'all' },
      { trusted: true, detector: new FakeDetector(), threads: 1 });
    assertFinite(result);
    assert.equal(result.images.length, 7);
    const f = result.report.faithfulness!;
    assert.ok(f, 'report.faithfulness');
    assert.deepEqual(Object.keys(f.maps), MAPS);
    assert.equal(f.maps['attention:stage3']!.title, 'stage3 attention');
    assert.deepEqual(f.settings, { blurSigma: (8 * 64) / 224, steps: 20, percentiles: [10, 20, 30, 40, 50, 60, 70, 80, 90], controlDraws: 3, seed: 19 });
    assert.deepEqual(f.auOcclusion!.auSelectivity.averagedOver, ['happy', 'surprise', 'sad']);
    const sel = f.auOcclusion!.auSelectivity;
    assert.ok(sel.average && sel.average.low !== null && sel.average.low <= sel.average.value && sel.average.value <= sel.average.high!);
    // The face without landmarks is counted by reason, not averaged.
    assert.deepEqual(sel.perClass.sad!.skipped, { 'no-landmarks': 1 });
    assert.equal(sel.perClass.sad!.estimate!.n, 2);
    for (const key of MAPS) {
      for (const metric of ['deletion', 'insertion', 'morf', 'lerf', 'road'] as const) {
        assert.ok(f.maps[key]![metric]?.average, `${key} ${metric}`);
      }
    }
    // The AU map of a face without landmarks is skipped; the model's maps still score it.
    assert.deepEqual(f.maps['au']!.deletion!.perClass.sad!.skipped, { 'no-landmarks': 1 });
    assert.deepEqual(f.maps['cam:cam']!.deletion!.perClass.sad!.skipped, {});
    assert.ok(f.sanity && 'fromLayer' in f.sanity);
    assert.equal(f.sanity.fromLayer, 'stage3');
    assert.ok(f.sanity.redrawn.includes('fc.weight'));
    for (const key of MAPS.slice(0, 5)) assert.ok(f.maps[key]!.sanity, key);
    assert.equal(f.maps['au']!.sanity, null);

    const noFace = result.images.find((r) => r.path.includes('noface'))!;
    assert.equal(noFace.faithfulness!.auSelectivity, 'no-landmarks');
    assert.equal(noFace.faithfulness!.maps['au']!.deletion, 'no-landmarks');
    const face = result.images.find((r) => !r.path.includes('noface'))!;
    assert.equal(typeof face.faithfulness!.auSelectivity, 'number');
    assert.deepEqual(Object.keys(face.faithfulness!.maps), MAPS);
    assert.deepEqual(Object.keys(face.faithfulness!.sanity!), MAPS.slice(0, 5));

    const stored = parseEvalFile(await readFile(result.file!, 'utf8'), result.file!);
    assert.deepEqual(stored, result);
  });

  it('gates the AU selectivity per averaged class (auLens.qualityGates.minAuSelectivity), pointing into the file', async () => {
    assert.deepEqual(checkGates(result, { minAuSelectivity: -1 }), []);
    const failures = checkGates(result, { minAuSelectivity: 1 });
    assert.deepEqual(failures.map((f) => f.className), ['happy', 'surprise', 'sad']);
    assert.match(failures[0]!.message, /^happy: AU selectivity -?\d\.\d\d < 1\.00 \(auLens\.qualityGates\.minAuSelectivity\)$/);
    const text = await readFile(result.file!, 'utf8');
    for (const f of failures) {
      const at = locateJsonValue(text, f.path);
      assert.ok(at, f.path.join('.'));
      assert.equal(Number(text.slice(at.start, at.end)), f.value);
    }
  });

  it('prints AU occlusion and one class × map table per metric, and writes the JSON', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const json = path.join(ws.root, 'eval.json');
    const code = await runCli(['eval', '--checkpoint', model, '--data', data, '--threads', '1', '--cache', ws.cache,
      '--faithfulness', '--faithfulness-metrics', 'occlusion,deletion', '--json', json], { out: (l) => lines.push(l), err: (l) => errors.push(l) });
    assert.equal(code, 0, errors.join('\n'));
    const text = lines.join('\n');
    assert.match(text, /AU occlusion \(3 control regions of facial skin per face\):\nclass +AU selectivity +control drop +drop per AU\n/);
    assert.match(text, /\nAverage +-?\d\.\d{3} \[-?\d\.\d\d, -?\d\.\d\d\]/);
    assert.match(text, /Deletion AUC \(lower is better\):\nclass +stage3 attention +CAM +Grad-CAM +Grad-CAM\+\+ +LayerCAM +AU map +random map\n/);
    assert.match(text, /Insertion AUC \(higher is better\):/);
    assert.doesNotMatch(text, /ROAD|Sanity check|NaN/);
    const written = JSON.parse(await readFile(json, 'utf8')) as { report: { faithfulness: { maps: Record<string, { road?: unknown }>; sanity: unknown } } };
    assert.equal(written.report.faithfulness.sanity, null);
    assert.ok(Object.values(written.report.faithfulness.maps).every((m) => m.road === undefined));
  });

  it('refuses unknown metrics, a metric list without --faithfulness and an unknown mode in the editor\'s request', async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (l: string) => err.push(l) };
    assert.equal(await runCli(['eval', '--checkpoint', model, '--data', data, '--faithfulness', '--faithfulness-metrics', 'roads'], io), 2);
    assert.match(err.join('\n'), /unknown faithfulness metric "roads"; use occlusion, deletion, road, sanity/);
    assert.equal(await runCli(['eval', '--checkpoint', model, '--data', data, '--faithfulness-metrics', 'road'], io), 2);
    assert.match(err.join('\n'), /--faithfulness-metrics needs --faithfulness/);
    await assert.rejects(runEvaluation({ model, data, images: 'all', faithfulness: 'some' as 'all' },
      { trusted: true, detector: new FakeDetector() }), (e: Error) => e instanceof EvalRequestError && /"fast" or "all", got "some"/.test(e.message));
  });

  it('stops between batches when cancelled', async () => {
    const controller = new AbortController();
    const run = evaluateCheckpoint({ checkpoint: model, data, batch: 2, threads: 1, cacheDir: ws.cache,
      faithfulness: { settings: { occlusion: true, deletion: true, road: false }, sanity: false }, trusted: true },
    { detector: new FakeDetector(), signal: controller.signal, onProgress: (_d, _t, stage) => { if (stage === 'evaluate') controller.abort(); } });
    await assert.rejects(run);
  });
});
