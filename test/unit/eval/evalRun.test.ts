import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { EvalFileError, evalFileName, parseEvalFile } from '../../../src/trainer/eval/evalFile';
import { EvalRequestError, evalFileFor, runEvaluation } from '../../../src/trainer/eval/evalRun';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { FakeDetector, useTrainingWorkspace } from '../train/fixtures';

describe('eval/run: evaluation with per-image records, written beside the checkpoint', function () {
  this.timeout(120_000);
  const ws = useTrainingWorkspace('eval-run');
  let model = '';

  before(async () => {
    model = path.join(ws.root, 'runs', 'r1', 'best.ckpt');
    await saveCheckpoint(model, untrainedCheckpoint('tiny64', 1, ['happy', 'sad', 'surprise']));
  });

  it('names the file after the data folder and puts it in the run folder', () => {
    assert.equal(evalFileName('/x/ck48/'), 'eval-ck48.json');
    assert.equal(evalFileName('C:\\data\\my set'), 'eval-my_set.json');
    assert.equal(evalFileFor({ model: '/r/best.ckpt', data: '/d/ck48' }), path.join('/r', 'eval-ck48.json'));
    assert.equal(evalFileFor({ model: 'faceapi-expression', data: '/d/ck48' }), null);
    assert.equal(evalFileFor({ model: 'faceapi-expression', data: '/d/ck48', outDir: '/o' }), path.join('/o', 'eval-ck48.json'));
  });

  it('records every image (path, labels, confidence, ATT-COS per layer, CAM-COS per method) and writes the file atomically', async () => {
    const progress: string[] = [];
    const result = await runEvaluation({ model, data: ws.data, images: 'all', cacheDir: ws.cache }, {
      trusted: true, detector: new FakeDetector(), threads: 1, onProgress: (p) => progress.push(`${p.stage}:${p.done}/${p.total}`),
    });
    assert.equal(result.images.length, 24);
    assert.equal(result.report.samples, 24);
    assert.equal(result.split, 'all');
    assert.equal(result.dataset, 'data');
    assert.ok(progress.includes('prepare:24/24') && progress.includes('evaluate:24/24'), progress.join(' '));
    const first = result.images[0]!;
    assert.ok(path.isAbsolute(first.path) && first.path.startsWith(ws.data));
    assert.ok(['happy', 'sad', 'surprise'].includes(first.prediction));
    assert.ok(first.confidence > 0 && first.confidence <= 1);
    assert.deepEqual(Object.keys(first.attCos), result.report.layers);
    assert.deepEqual(Object.keys(first.camCos), result.report.methods);
    for (const r of result.images) for (const v of [...Object.values(r.attCos), ...Object.values(r.camCos)]) assert.ok(v === null || Number.isFinite(v));

    assert.equal(result.file, path.join(path.dirname(model), 'eval-data.json'));
    const stored = parseEvalFile(await readFile(result.file, 'utf8'), result.file);
    assert.deepEqual(stored, result);
  });

  it('rejects bad requests with a clear error and leaves the previous file alone', async () => {
    const file = path.join(path.dirname(model), 'eval-data.json');
    const before = await readFile(file, 'utf8');
    await assert.rejects(runEvaluation({ model, data: path.join(ws.root, 'missing'), images: 'all' }, { trusted: true, detector: new FakeDetector() }),
      (err: Error) => err instanceof EvalRequestError && /is not a folder/.test(err.message));
    await assert.rejects(runEvaluation({ model, data: ws.data, images: 'some' as 'all' }, { trusted: true, detector: new FakeDetector() }), EvalRequestError);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(runEvaluation({ model, data: ws.data, images: 'all', cacheDir: ws.cache }, { trusted: true, detector: new FakeDetector(), signal: controller.signal }));
    assert.equal(await readFile(file, 'utf8'), before);
  });

  it('refuses files that are not evaluations, naming the file', async () => {
    const bad = path.join(ws.root, 'eval-bad.json');
    await writeFile(bad, '{"format":"something"}');
    assert.throws(() => parseEvalFile('{"format":"something"}', bad), (err: Error) => err instanceof EvalFileError && err.message.startsWith(bad));
    assert.throws(() => parseEvalFile('{oops', 'f.json'), /f\.json: not valid JSON at character 1/);
    assert.throws(() => parseEvalFile('{"format":"au-lens-eval","version":1}', 'f.json'), /incomplete/);
  });
});
