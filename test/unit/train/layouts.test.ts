/**
 * Training and evaluation on the datasets FER researchers hold, from CK+48-made fixtures in their layouts (made at
 * test time, never committed): the official split is kept, its test part is never read while training (no test
 * image is decoded, none reaches a training batch), validation is carved from the training part, and `eval`
 * scores the official test part by default.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BatchLoader } from '../../../src/trainer/data/loader';
import { runEvaluation } from '../../../src/trainer/eval/evalRun';
import { evaluateCheckpoint } from '../../../src/trainer/eval/evaluateCheckpoint';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import type { RgbImage } from '../../../src/trainer/io/image';
import type { DatasetManifest } from '../../../src/trainer/io/manifest';
import { loadCheckpoint } from '../../../src/trainer/train/checkpoint';
import type { TrainOptions } from '../../../src/trainer/train/options';
import { TrainingError } from '../../../src/trainer/train/options';
import { prepareRun } from '../../../src/trainer/train/prepareRun';
import { runTrainJob } from '../../../src/trainer/train/trainJob';
import { TrainRequestError } from '../../../src/trainer/train/trainRequest';
import type { Expected } from '../io/layouts/fixtures';
import { makeFer2013, makeRafDbAligned, useFixtures, write } from '../io/layouts/fixtures';
import { eventsOf, FakeDetector, recordRun, trainOptions } from './fixtures';

/** The fake detector, remembering every image it was shown: what preparation decoded. */
class SeeingDetector extends FakeDetector {
  readonly seen: string[] = [];

  override async detect(image: RgbImage): ReturnType<FakeDetector['detect']> {
    this.seen.push(image.source);
    return super.detect(image);
  }
}

const readManifest = async (out: string): Promise<DatasetManifest> =>
  JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as DatasetManifest;

describe('training on dataset layouts: official splits, the test part never read', function () {
  this.timeout(120_000);
  const fixtures = useFixtures('train-layouts', 4);
  let rafdb = '';
  let expected: Expected[] = [];
  const testFiles = (): string[] => expected.filter((e) => e.part === 'test').map((e) => path.join(rafdb, ...e.relPath.split('/')));
  const options = (name: string, overrides: Partial<TrainOptions> = {}): TrainOptions =>
    trainOptions(rafdb, path.join(path.dirname(rafdb), 'runs', name), path.join(path.dirname(rafdb), 'cache'), { epochs: 1, ...overrides });

  before(async () => {
    rafdb = path.join(fixtures.fresh(), 'RAF-DB');
    expected = await makeRafDbAligned(rafdb, fixtures.faces());
  });

  it('keeps RAF-DB\'s official split; no test image is decoded, and none is in any training batch', async () => {
    // The test images made unreadable: if training read one, it would be reported as corrupt.
    const originals = await Promise.all(testFiles().map((f) => readFile(f)));
    for (const file of testFiles()) await writeFile(file, 'not an image: the official test part must not be read');
    const detector = new SeeingDetector();
    const run = await recordRun(options('official', { classWeights: { kind: 'inverse' } }), { detector });
    assert.equal(run.outcome.status, 'completed');
    const [data] = eventsOf(run.events, 'data');
    assert.equal(data?.layout, 'rafdb-aligned');
    assert.equal(data?.splitMode, 'official');
    const tests = expected.filter((e) => e.part === 'test').length;
    assert.equal(data?.split.test, tests);
    const [prepared] = eventsOf(run.events, 'prepared');
    assert.deepEqual(prepared?.corrupt, [], 'no test image was decoded');
    assert.ok(detector.seen.length > 0 && detector.seen.every((s) => !s.includes('/test_')), detector.seen.join('\n'));

    const manifest = await readManifest(run.outcome.last!.replace(/last\.ckpt$/, ''));
    assert.equal(manifest.layout, 'rafdb-aligned');
    assert.equal(manifest.splitMode, 'official');
    assert.deepEqual(manifest.labelFiles, ['EmoLabel/list_patition_label.txt']);
    for (const s of manifest.samples) {
      assert.equal(s.part, s.relPath.includes('/test_') ? 'test' : 'train', s.relPath);
      assert.equal(s.split === 'test', s.part === 'test', `${s.relPath}: the test split is exactly the test part`);
    }
    assert.ok(manifest.samples.some((s) => s.split === 'val'), 'validation carved from the training part');

    // The checkpoint records the layout, the split mode and the class weights it trained with.
    const settings = (await loadCheckpoint(run.outcome.last!)).optimizer.settings!;
    assert.equal(settings['layout'], 'rafdb-aligned');
    assert.equal(settings['split'], 'official');
    const weights = settings['classWeights'] as { mode: string; weights: Record<string, number> };
    assert.equal(weights.mode, 'inverse');
    const trainCounts = new Map<string, number>();
    for (const s of manifest.samples.filter((m) => m.split === 'train')) trainCounts.set(s.label, (trainCounts.get(s.label) ?? 0) + 1);
    const n = [...trainCounts.values()].reduce((a, b) => a + b, 0);
    for (const [label, count] of trainCounts) assert.ok(Math.abs(weights.weights[label]! - n / (trainCounts.size * count)) < 1e-12, label);

    await Promise.all(testFiles().map((f, i) => writeFile(f, originals[i]!)));
  });

  it('hands the loader only training-part samples, epoch after epoch (checked on the batches)', async () => {
    const prepared = await prepareRun(options('batches'), { detector: new FakeDetector() }, () => {});
    assert.ok(!('cancelled' in prepared));
    const test = new Set(testFiles());
    // Batches built on a worker thread from the shard cache, as a run at scale builds them.
    const { inputSize } = prepared.info;
    const loader = new BatchLoader(prepared.trainSet.store, { batchSize: 4, inputSize, mode: 'train', seed: 3, workers: 1 });
    let batches = 0;
    try {
      for (let epoch = 0; epoch < 3; epoch++) {
        for await (const batch of loader.epoch(epoch)) {
          batches++;
          for (const p of batch.paths) assert.ok(!test.has(p) && !p.includes('/test_'), `${p} is in the official test part`);
        }
      }
    } finally {
      await loader.close();
    }
    assert.equal(batches, 3 * loader.batchesPerEpoch);
    const val = prepared.valSet.store;
    const valNames = Array.from({ length: val.length }, (_, i) => val.name(i));
    val.close();
    assert.ok(valNames.length > 0 && valNames.every((p) => !test.has(p)), 'validation holds no test image');
  });

  it('eval defaults to the official test part on the run\'s data, for the checkpoint and for its ONNX export', async () => {
    const run = await recordRun(options('eval-me'));
    const cacheDir = path.join(path.dirname(rafdb), 'cache');
    const result = await evaluateCheckpoint({ checkpoint: run.outcome.best!, data: rafdb, batch: 4, threads: 1, methods: [], cacheDir, trusted: true }, { detector: new FakeDetector() });
    assert.equal(result.split, 'test');
    assert.deepEqual(result.samples.map((s) => s.path).sort(), testFiles().sort());
    assert.deepEqual(result.warnings, []);
    const onnx = path.join(path.dirname(run.outcome.best!), 'model.onnx');
    await exportCheckpoint(run.outcome.best!, onnx);
    const exported = await evaluateCheckpoint({ checkpoint: onnx, data: rafdb, batch: 4, threads: 1, methods: [], cacheDir, trusted: true }, { detector: new FakeDetector() });
    assert.equal(exported.split, 'test');
    assert.deepEqual(exported.samples.map((s) => s.path).sort(), testFiles().sort());
  });

  it('the editor\'s train and eval methods take a RAF-DB folder with --split and --class-weights as settings', async () => {
    const out = path.join(path.dirname(rafdb), 'runs', 'editor');
    const cacheDir = path.join(path.dirname(rafdb), 'cache');
    const outcome = await runTrainJob(
      { data: rafdb, out, preset: 'tiny64', epochs: 1, batch: 4, seed: 3, threads: 1, cacheDir, split: 'official', classWeights: 'inverse' },
      { onEvent: () => {}, signal: new AbortController().signal, detector: async () => new FakeDetector(), defaultThreads: 1 },
    );
    assert.equal(outcome.status, 'completed');
    assert.equal(((await loadCheckpoint(outcome.last!)).optimizer.settings!['classWeights'] as { mode: string }).mode, 'inverse');
    const evaluation = await runEvaluation({ model: outcome.best!, data: rafdb, images: 'test', cacheDir }, { trusted: true, detector: new FakeDetector(), threads: 1 });
    assert.equal(evaluation.split, 'test');
    assert.equal(evaluation.images.length, testFiles().length);
    await assert.rejects(runTrainJob({ data: rafdb, out: `${out}-2`, split: 'random' }, { onEvent: () => {}, signal: new AbortController().signal, detector: async () => new FakeDetector(), defaultThreads: 1 }),
      (e: unknown) => e instanceof TrainRequestError && /"split" must be official or subjects, got "random"/.test(e.message));
    assert.equal(existsSync(`${out}-2`), false);
  });

  it('--split subjects splits every image by subject instead, and a resume cannot change it', async () => {
    const run = await recordRun(options('subjects', { split: 'subjects' }));
    const manifest = await readManifest(path.dirname(run.outcome.last!));
    assert.equal(manifest.splitMode, 'subjects');
    assert.ok(manifest.samples.some((s) => s.split !== 'test' && s.part === 'test'), 'official test images may train');
    await assert.rejects(recordRun(options('subjects', { split: 'official', resume: true, epochs: 2 })),
      (e: unknown) => e instanceof TrainingError && /split: subjects in the run, official now/.test(e.message));
  });

  it('a resume keeps the class weights of its table (classes beyond the run\'s aside) and refuses others', async () => {
    const weights = { happy: 1, sad: 2, surprise: 1.5, anger: 1, disgust: 3, fear: 2, contempt: 7 };
    const spec = { kind: 'file' as const, file: 'w.json', weights };
    const first = await recordRun(options('weighted', { classWeights: spec }));
    const stored = (await loadCheckpoint(first.outcome.last!)).optimizer.settings!['classWeights'];
    assert.deepEqual(stored, { mode: 'file', file: 'w.json', weights: { happy: 1, surprise: 1.5, fear: 2, anger: 1, disgust: 3, sad: 2 } });
    const resumed = await recordRun(options('weighted', { classWeights: spec, resume: true, epochs: 2 }));
    assert.equal(resumed.outcome.status, 'completed');
    await assert.rejects(recordRun(options('weighted', { classWeights: { ...spec, weights: { ...weights, sad: 5 } }, resume: true, epochs: 3 })),
      (e: unknown) => e instanceof TrainingError && /class weights: .*sad 2.* in the run, .*sad 5.* now/.test(e.message));
  });

  it('refuses class weights that miss a class of the run, and writes nothing', async () => {
    const out = path.join(path.dirname(rafdb), 'runs', 'bad-weights');
    const spec = { kind: 'file' as const, file: 'w.json', weights: { happy: 1, sad: 2 } };
    await assert.rejects(recordRun(options('bad-weights', { classWeights: spec })),
      (e: unknown) => e instanceof TrainingError && /w.json gives no weight for .*anger.*Nothing was written/.test(e.message));
    assert.equal(existsSync(out), false);
  });

  it('--split official on data without an official split is refused, naming the fix', async () => {
    const folder = path.join(fixtures.fresh(), 'folders');
    for (const [i, face] of fixtures.faces().entries()) await write(folder, `${face.label}/S${String(i).padStart(3, '0')}_001.png`, await readFile(face.file));
    await assert.rejects(recordRun(trainOptions(folder, path.join(folder, '..', 'run'), path.join(folder, '..', 'cache'), { split: 'official' })),
      /has no official split; split it by subject instead \(--split subjects\)/);
    assert.equal(existsSync(path.join(folder, '..', 'run')), false);
  });

  it('trains on FER2013 rows: PublicTest validates, PrivateTest is never decoded', async () => {
    const root = path.join(fixtures.fresh(), 'fer');
    const { expected: rows } = await makeFer2013(root, fixtures.faces());
    const detector = new SeeingDetector();
    const run = await recordRun(trainOptions(root, path.join(root, '..', 'run'), path.join(root, '..', 'cache'), { epochs: 1 }), { detector });
    assert.equal(run.outcome.status, 'completed');
    const [data] = eventsOf(run.events, 'data');
    assert.deepEqual([data?.layout, data?.splitMode], ['fer2013', 'official']);
    assert.deepEqual(data?.split, {
      train: rows.filter((r) => r.part === 'train').length, val: rows.filter((r) => r.part === 'val').length, test: rows.filter((r) => r.part === 'test').length,
    });
    // Row k of the fixture is on line k + 2 (after the header); FakeDetector sees "fer2013.csv line N".
    const privateLines = new Set(rows.flatMap((r, k) => (r.part === 'test' ? [`fer2013.csv line ${k + 2}`] : [])));
    assert.equal(detector.seen.length, rows.length - privateLines.size);
    assert.ok(detector.seen.every((s) => !privateLines.has(s)), detector.seen.join('\n'));
  });
});
