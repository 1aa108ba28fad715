/**
 * `au-lens eval` prepares and scores its images a chunk at a time (eval/chunkedBatches.ts), so memory does not
 * grow with the data: the report (accuracy, per class, ATT-COS, CAM-COS, localisation, faithfulness), every
 * image's record and their order are those of one chunk holding everything, for a checkpoint and for its ONNX
 * export; progress counts over the whole split; unreadable files are reported across chunks; cancel still throws.
 * The images are CK+48 crops copied at test time into a temporary folder (research-only data, never committed).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { defaultChunkImages } from '../../../src/trainer/eval/chunkedBatches';
import { evaluateCheckpoint } from '../../../src/trainer/eval/evaluateCheckpoint';
import type { EvaluateOptions } from '../../../src/trainer/eval/types';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import { exportCheckpoint } from '../../../src/trainer/export/exportModel';
import { saveCheckpoint } from '../../../src/trainer/train/checkpoint';
import { ck48Dir } from '../../helpers/paths';
import { FakeDetector, useTrainingWorkspace } from '../train/fixtures';

const CLASSES = ['happy', 'sad', 'surprise'] as const;
const PER_CLASS = 4;
/** Faithfulness at a small cost: every metric and the sanity check, with fewer steps and percentiles. */
const FAITHFULNESS: EvaluateOptions['faithfulness'] = {
  settings: { occlusion: true, deletion: true, road: true, steps: 4, percentiles: [30, 60] },
  sanity: true,
};

/** CK+48's first crops of each class, one face-less copy (the fake detector finds no face) and one broken file. */
async function ck48Fixture(root: string): Promise<{ data: string; corrupt: string; images: number }> {
  const data = path.join(root, 'ck48-small');
  for (const label of CLASSES) {
    await mkdir(path.join(data, label), { recursive: true });
    const files = readdirSync(path.join(ck48Dir, label)).filter((f) => f.endsWith('.png')).sort();
    for (const f of files.slice(0, PER_CLASS)) await copyFile(path.join(ck48Dir, label, f), path.join(data, label, f));
  }
  // A crop left out above: the landmark cache knows faces by their pixels, so a copy of a used one would have one.
  const spare = readdirSync(path.join(ck48Dir, 'sad')).filter((f) => f.endsWith('.png')).sort()[PER_CLASS]!;
  await copyFile(path.join(ck48Dir, 'sad', spare), path.join(data, 'sad', 'S998_noface_00000001.png'));
  const corrupt = path.join(data, 'happy', 'S999_001_00000001.png');
  await writeFile(corrupt, 'not a png');
  return { data, corrupt, images: CLASSES.length * PER_CLASS + 2 };
}

describe('eval: chunked preparation gives the results of one chunk', function () {
  this.timeout(600_000);
  const ws = useTrainingWorkspace('eval-chunked');
  let fixture: { data: string; corrupt: string; images: number };
  let model = '';
  const options = (checkpoint: string, chunkImages: number, extra: Partial<EvaluateOptions> = {}): EvaluateOptions =>
    ({ checkpoint, trusted: true, data: fixture.data, split: 'all', batch: 4, threads: 1, cacheDir: ws.cache,
      chunkImages, ...extra });

  before(async function () {
    if (!existsSync(ck48Dir)) {
      console.log(`      skipped: ${ck48Dir} is absent (CK+48 is research-only and lives outside the repo)`);
      this.skip();
    }
    fixture = await ck48Fixture(ws.root);
    model = path.join(ws.root, 'model.ckpt');
    await saveCheckpoint(model, untrainedCheckpoint('tiny64', 1, [...CLASSES]));
  });

  it('sizes chunks from the prepared side: 146 images for resnet50\'s 224 px input, 1,799 for tiny64', () => {
    assert.equal(defaultChunkImages(224), 146);
    assert.equal(defaultChunkImages(64), 1799);
    assert.equal(defaultChunkImages(112, 'faceapi'), 764);
  });

  it('a checkpoint: the same report, faithfulness and records in chunks of 5 as in one; progress over all', async () => {
    const events: string[] = [];
    const chunked = await evaluateCheckpoint(options(model, 5, { faithfulness: FAITHFULNESS }), {
      detector: new FakeDetector(), onProgress: (done, total, stage) => events.push(`${stage}:${done}/${total}`),
    });
    const whole = await evaluateCheckpoint(options(model, Infinity, { faithfulness: FAITHFULNESS }),
      { detector: new FakeDetector() });
    assert.deepEqual(chunked, whole);
    const usable = fixture.images - 1;
    assert.equal(chunked.samples.length, usable);
    assert.deepEqual(chunked.skipped.map((s) => s.path), [fixture.corrupt]);
    assert.ok(chunked.report.faithfulness && chunked.report.localisation.maps.length > 0);
    assert.ok(chunked.samples.some((s) => s.path?.includes('noface') && s.faithfulness?.auSelectivity === 'no-landmarks'));

    const prepare = events.filter((e) => e.startsWith('prepare:'));
    assert.deepEqual(prepare, Array.from({ length: fixture.images }, (_, i) => `prepare:${i + 1}/${fixture.images}`));
    const evaluate = events.filter((e) => e.startsWith('evaluate:')).map((e) => e.slice('evaluate:'.length));
    assert.equal(evaluate.at(-1), `${usable}/${usable}`);
    const done = evaluate.map((e) => Number(e.split('/')[0]));
    assert.deepEqual(done, [...done].sort((a, b) => a - b));
    // The model runs on the first chunk before the last one is prepared: memory holds one chunk at a time.
    assert.ok(events.indexOf(`evaluate:${evaluate[0]}`) < events.indexOf(prepare.at(-1)!), events.join(' '));
  });

  it('the same for the exported ONNX model, whose faithfulness runs image by image', async () => {
    const onnx = path.join(ws.root, 'model.onnx');
    await exportCheckpoint(model, onnx);
    const extra = { faithfulness: FAITHFULNESS, methods: ['cam', 'gradcam'] as const };
    const chunked = await evaluateCheckpoint(options(onnx, 3, extra), { detector: new FakeDetector() });
    const whole = await evaluateCheckpoint(options(onnx, Infinity, extra), { detector: new FakeDetector() });
    assert.deepEqual(chunked, whole);
    assert.equal(chunked.samples.length, fixture.images - 1);
  });

  it('stops when cancelled while a later chunk is prepared or while the first is evaluated', async () => {
    for (const at of ['prepare', 'evaluate'] as const) {
      const controller = new AbortController();
      const run = evaluateCheckpoint(options(model, 5), {
        detector: new FakeDetector(), signal: controller.signal,
        onProgress: (done, _total, stage) => {
          if (stage === at && (at === 'evaluate' || done === 7)) controller.abort();
        },
      });
      await assert.rejects(run, (e: Error) => e.name === 'AbortError', at);
    }
  });

  it('says so when no image of any chunk is usable', async () => {
    const broken = path.join(ws.root, 'broken');
    for (const label of CLASSES) {
      await mkdir(path.join(broken, label), { recursive: true });
      for (const k of [1, 2]) await writeFile(path.join(broken, label, `S00${k}_001_00000001.png`), 'not a png');
    }
    await assert.rejects(evaluateCheckpoint({ ...options(model, 2), data: broken }, { detector: new FakeDetector() }),
      /no usable image in the all split of .*broken/);
  });
});
