import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { checkGates, failingImages, worstImages } from '../../../src/extension/evaluation/gates';
import { locateJsonValue } from '../../../src/extension/evaluation/jsonLocate';
import { readCheckpointSummary } from '../../../src/trainer/train/checkpointHeader';
import { findRunFolders, scanRuns } from '../../../src/extension/runs/runScan';
import type { EvalRunResult } from '../../../src/trainer/eval/evalFile';
import { runEvaluation } from '../../../src/trainer/eval/evalRun';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { FakeDetector, useTrainingWorkspace } from '../train/fixtures';

describe('runs view model, eval records and quality gates', function () {
  this.timeout(60_000);
  const ws = useTrainingWorkspace('runs-view');
  let run = '';
  let result: EvalRunResult;

  before(async () => {
    run = path.join(ws.root, 'runs', 'r1');
    const ckpt = untrainedCheckpoint('tiny64', 1, ['happy', 'sad', 'surprise']);
    await saveCheckpoint(path.join(run, 'last.ckpt'), { ...ckpt, epoch: 2, metrics: [{ epoch: 1, valAccuracy: 0.5 }, { epoch: 2, valAccuracy: 0.75, valAttCos: 0.42 }] });
    await saveCheckpoint(path.join(run, 'best.ckpt'), ckpt);
    await writeFile(path.join(run, 'broken.ckpt'), 'not a checkpoint');
    await mkdir(path.join(ws.root, 'node_modules', 'x'), { recursive: true });
    await writeFile(path.join(ws.root, 'node_modules', 'x', 'a.ckpt'), '');
    result = await runEvaluation({ model: path.join(run, 'best.ckpt'), data: ws.data, images: 'all', cacheDir: ws.cache }, { trusted: true, detector: new FakeDetector(), threads: 1 });
  });

  it('reads epoch and validation metrics from a checkpoint header alone', async () => {
    const s = await readCheckpointSummary(path.join(run, 'last.ckpt'));
    assert.deepEqual([s.preset, s.epoch, s.valAccuracy, s.valAttCos, s.labels.length], ['tiny64', 2, 0.75, 0.42, 3]);
    await assert.rejects(readCheckpointSummary(path.join(run, 'broken.ckpt')), /not an AU Lens checkpoint/);
  });

  it('builds runs → checkpoints (best, last, others), per-epoch validation from progress.jsonl and evaluations from a folder, skipping node_modules', async () => {
    assert.deepEqual(await findRunFolders(ws.root), [run]);
    const [entry, ...rest] = await scanRuns([ws.root]);
    assert.equal(rest.length, 0);
    assert.equal(entry!.name, 'r1');
    assert.equal(entry!.record, undefined);
    assert.deepEqual(entry!.checkpoints.map((c) => [c.name, 'summary' in c]), [['best.ckpt', true], ['last.ckpt', true], ['broken.ckpt', false]]);
    assert.deepEqual(entry!.evaluations.map((e) => [e.name, 'result' in e]), [['eval-data.json', true]]);
    assert.deepEqual(entry!.validation, {});
    const epoch = { type: 'epoch', epoch: 2, epochs: 2, train: {}, val: { accuracy: 0.75, balancedAccuracy: 0.7, attCos: { stage2: 0.3, stage3: 0.42 } }, best: true, seconds: 1 };
    await writeFile(path.join(run, 'progress.jsonl'), `${JSON.stringify({ ...epoch, epoch: 1 })}\n${JSON.stringify(epoch)}\n{"torn`);
    assert.deepEqual((await scanRuns([ws.root]))[0]!.validation[2]?.attCos, { stage2: 0.3, stage3: 0.42 });
    await writeFile(path.join(run, 'eval-bad.json'), '{');
    const again = await scanRuns([ws.root]);
    const bad = again[0]!.evaluations.find((e) => e.name === 'eval-bad.json')!;
    assert.ok('error' in bad && /not valid JSON/.test(bad.error));
  });

  it('turns failing values into gate failures with the setting, the class and the path of the value', async () => {
    assert.deepEqual(checkGates(result, {}), []);
    const failures = checkGates(result, { minAccuracy: 1.01, minClassAccuracy: 1.01, minAttCos: { [result.report.camLayer]: 1.01 }, minCamCos: 1.01 });
    const settings = new Set(failures.map((f) => f.setting));
    assert.deepEqual([...settings], ['auLens.qualityGates.minAccuracy', 'auLens.qualityGates.minClassAccuracy', 'auLens.qualityGates.minAttCos', 'auLens.qualityGates.minCamCos']);
    const att = failures.find((f) => f.setting === 'auLens.qualityGates.minAttCos')!;
    assert.match(att.message, new RegExp(`^(happy|sad|surprise): ${result.report.camLayer} ATT-COS \\d\\.\\d\\d < 1\\.01 \\(auLens\\.qualityGates\\.minAttCos\\)$`));
    // Only the layer named in the object is gated.
    assert.ok(failures.filter((f) => f.setting === 'auLens.qualityGates.minAttCos').every((f) => f.path[3] === result.report.camLayer));
    // Each failure's path leads to its value in the file as written.
    const text = await readFile(result.file!, 'utf8');
    for (const f of failures) {
      const at = locateJsonValue(text, f.path);
      assert.ok(at, f.path.join('.'));
      assert.equal(Number(text.slice(at.start, at.end)), f.value);
    }
  });

  it('orders the worst images: misclassified first, then the lowest ATT-COS', () => {
    const layer = result.report.camLayer;
    const sorted = worstImages(result.images, layer);
    const firstRight = sorted.findIndex((r) => r.prediction === r.label);
    assert.ok(firstRight === -1 || sorted.slice(firstRight).every((r) => r.prediction === r.label));
    for (let i = firstRight + 1; i > 0 && i < sorted.length; i++) assert.ok((sorted[i - 1]!.attCos[layer] ?? 9) <= (sorted[i]!.attCos[layer] ?? 9));
    assert.ok(failingImages(result, 'sad').every((r) => r.label === 'sad'));
  });

  it('locates values in any JSON layout', () => {
    const text = '{"a": {"b": [1, {"c": 0.25}], "d": "x,}"}, "e": -1.5e-3}';
    const at = locateJsonValue(text, ['a', 'b', '1', 'c'])!;
    assert.equal(text.slice(at.start, at.end), '0.25');
    assert.equal(text.slice(locateJsonValue(text, ['e'])!.start, locateJsonValue(text, ['e'])!.end), '-1.5e-3');
    assert.equal(locateJsonValue(text, ['a', 'zz']), undefined);
  });
});
