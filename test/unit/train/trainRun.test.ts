import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DatasetError } from '../../../src/trainer/io/dataset';
import { describeDevice } from '../../../src/trainer/onnx/deviceInfo';
import { codebookPreset } from '../../../src/trainer/science/codebook';
import type { AtomicFs } from '../../../src/trainer/io/atomicFile';
import { fsWithFaults } from '../../helpers/fsWithFaults';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { RUN_LOCK_FILE } from '../../../src/trainer/train/runLock';
import { loadCheckpoint } from '../../../src/trainer/train/checkpoint';
import { loadSplitDataset } from '../../../src/trainer/train/dataSplit';
import type { TrainEvent, TrainOptions } from '../../../src/trainer/train/options';
import { TrainingError } from '../../../src/trainer/train/options';
import { CLASSES, eventsOf, recordRun, snapshot, syntheticPng, trainOptions, useTrainingWorkspace, writeDataset } from './fixtures';

/** Rejects with a TrainingError whose message matches every pattern. */
async function assertTrainingError(run: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof TrainingError, `expected a TrainingError, got ${String(error)}`);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

/** Each file's bytes, read synchronously, so an onEvent callback can take the picture at an exact moment. */
/** The run's files as they are now, mid-run; run.lock is there only while the run trains. */
function snapshotNow(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => n !== RUN_LOCK_FILE).sort().map((n) => [n, readFileSync(path.join(dir, n))]));
}

function assertSameTensors(actual: Checkpoint, expected: Checkpoint): void {
  for (const group of ['model', 'momentum'] as const) {
    assert.deepEqual(actual.tensors[group].map((t) => t.name), expected.tensors[group].map((t) => t.name));
    expected.tensors[group].forEach((t, i) => {
      const a = actual.tensors[group][i]!;
      assert.ok(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
        `${group} tensor ${t.name} differs`);
    });
  }
}

const allFinite = (c: Checkpoint): boolean => c.tensors.model.every((t) => t.data.every(Number.isFinite));

/** node:fs/promises whose writes fail with ENOSPC while `full()` is true. */
function diskThatFills(full: () => boolean): AtomicFs {
  return fsWithFaults({
    async open(file, flags) {
      const handle = await nodeFs.open(file, flags);
      return {
        async write(buffer, offset, length) {
          if (full()) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          return handle.write(buffer, offset, length);
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  });
}

describe('train/trainRun: bad input and failures', function () {
  this.timeout(60_000);
  const ws = useTrainingWorkspace('train-run');
  /** An uninterrupted two-epoch run on the data set, the reference for resumes and the folder that holds a run. */
  let reference = '';
  let referenceEvents: readonly TrainEvent[] = [];
  const out = (name: string): string => path.join(ws.root, 'runs', name);
  const options = (name: string, overrides: Partial<TrainOptions> = {}): TrainOptions => trainOptions(ws.data, out(name), ws.cache, overrides);

  before(async () => {
    reference = out('reference');
    const { outcome, events } = await recordRun(options('reference'));
    assert.equal(outcome.status, 'completed');
    referenceEvents = events;
  });

  it('says where it trains, once its sessions are made and before the first step', () => {
    const events = referenceEvents;
    const device = events.findIndex((e) => e.type === 'device');
    assert.ok(device >= 0 && device < events.findIndex((e) => e.type === 'step'), 'a device event before the steps');
    assert.deepEqual(events[device], { type: 'device', device: 'cpu', label: describeDevice('cpu').label });
    assert.match(describeDevice('cpu').label, /^CPU/);
  });

  describe('data folders', () => {
    it('refuses a folder without images, naming what it skipped, and creates no run folder', async () => {
      const empty = await writeDataset(path.join(ws.root, 'no-images'), { classes: [], subjects: 0, extra: { 'happy/notes.txt': 'x', 'sad/readme.md': 'y' } });
      await assert.rejects(recordRun(trainOptions(empty, out('no-images'), ws.cache)), (e: unknown) =>
        e instanceof DatasetError && /no images found/.test(e.message) && /2 not-an-image/.test(e.message));
      assert.equal(existsSync(out('no-images')), false);
    });

    it('refuses a folder with one class', async () => {
      const one = await writeDataset(path.join(ws.root, 'one-class'), { classes: ['happy'], subjects: 6 });
      await assert.rejects(recordRun(trainOptions(one, out('one-class'), ws.cache)), (e: unknown) =>
        e instanceof DatasetError && /only one class found .*: happy \(6 images\)/.test(e.message));
      assert.equal(existsSync(out('one-class')), false);
    });

    it('refuses a training split smaller than one batch', async () => {
      await assertTrainingError(recordRun(options('big-batch', { batch: 32 })), /training split has 18 usable image\(s\), fewer than one batch of 32; lower --batch/);
    });
  });

  describe('a messy data folder: unknown class, unreadable images, images without a face', () => {
    let run: Awaited<ReturnType<typeof recordRun>>;
    let splitOf: Map<string, string | null>;
    const broken = ['happy/S001_002_broken.png', 'sad/S002_002_broken.png', 'surprise/S003_002_broken.png', 'sad/S004_002_text.png', 'happy/S005_002_broken.png'];
    const faceless = ['happy/S001_003_noface.png', 'sad/S002_003_noface.png', 'surprise/S004_003_noface.png', 'happy/S006_003_noface.png'];

    before(async () => {
      const png = await syntheticPng('happy', 999);
      const extra: Record<string, Buffer | string> = { 'sad/S004_002_text.png': 'this is not an image' };
      for (const [i, rel] of broken.entries()) if (!(rel in extra)) extra[rel] = png.subarray(0, 40 + i);
      for (const [i, rel] of faceless.entries()) extra[rel] = await syntheticPng(rel.split('/')[0]!, 500 + i);
      for (let k = 1; k <= 4; k++) extra[`smiling/S00${k}_001_00000001.png`] = await syntheticPng('smiling', 700 + k);
      const messy = await writeDataset(path.join(ws.root, 'messy'), { classes: CLASSES, subjects: 8, extra });
      run = await recordRun(trainOptions(messy, out('messy'), ws.cache, { epochs: 1 }));
      const manifest = JSON.parse(await readFile(path.join(out('messy'), 'manifest.json'), 'utf8')) as { samples: { relPath: string; split: string | null }[] };
      splitOf = new Map(manifest.samples.map((s) => [s.relPath, s.split]));
    });

    it('warns about the unknown class folder, skips its files and trains on the others', () => {
      const [event] = eventsOf(run.events, 'data');
      assert.ok(event);
      assert.deepEqual([...event.labels].sort(), [...CLASSES].sort());
      assert.equal(event.images, 3 * 8 + broken.length + faceless.length);
      assert.ok(event.skipped >= 4, `skipped ${event.skipped}`);
      assert.ok(event.warnings.some((w) => /folder "smiling" is not a known class, so its 4 file\(s\) were skipped/.test(w)), event.warnings.join('\n'));
      assert.equal(run.outcome.status, 'completed');
    });

    it('skips unreadable images and lists each with a reason (those of the train and val splits, which are read)', () => {
      const [event] = eventsOf(run.events, 'prepared');
      assert.ok(event);
      const read = broken.filter((rel) => splitOf.get(rel) === 'train' || splitOf.get(rel) === 'val');
      assert.ok(read.length >= 2, 'the fixture puts unreadable files in the splits that are read');
      assert.deepEqual(event.corrupt.map((c) => path.relative(path.join(ws.root, 'messy'), c.path).split(path.sep).join('/')).sort(), read.sort());
      for (const c of event.corrupt) assert.ok(c.reason.length > 0);
    });

    it('keeps images without a face for cross-entropy only and counts them', () => {
      const [event] = eventsOf(run.events, 'prepared');
      assert.ok(event);
      const read = faceless.filter((rel) => splitOf.get(rel) === 'train' || splitOf.get(rel) === 'val');
      assert.ok(read.length >= 2, 'the fixture puts faceless files in the splits that are read');
      assert.equal(event.noFace, read.length);
      // CK+ has no neutral images here, so every image with a face has an AU map and every other one has none.
      assert.equal(event.auInvalid, read.length);
      const [dataEvent] = eventsOf(run.events, 'data');
      assert.equal(event.auValid + event.auInvalid + event.corrupt.length, dataEvent!.split.train + dataEvent!.split.val);
    });
  });

  describe('divergence', () => {
    it('stops on a NaN loss with a clear message; with no good checkpoint yet, none is written', async () => {
      await assertTrainingError(recordRun(options('nan-at-once', { lr: 1e30, epochs: 1 })),
        /the loss became NaN at epoch 1, step \d+ \(lr 1e\+30\); the model diverged — lower --lr or --lambda\. No checkpoint was written yet/);
      assert.deepEqual(readdirSync(out('nan-at-once')), ['manifest.json']);
    });

    it('stops on a NaN loss in a later epoch and keeps the last good checkpoint byte for byte', async () => {
      let afterEpoch1 = new Map<string, Buffer>();
      const run = recordRun(options('nan-later', { epochs: 3, lrStepEpochs: 1, lrGamma: 1e30 }), {
        onEvent: (e) => {
          if (e.type === 'epoch' && e.epoch === 1) afterEpoch1 = snapshotNow(out('nan-later'));
        },
      });
      await assertTrainingError(run, /the loss became NaN at epoch 2/, new RegExp(`The last good checkpoint ${out('nan-later')}/last\\.ckpt is unchanged`));
      assert.deepEqual(await snapshot(out('nan-later')), afterEpoch1);
      const last = await loadCheckpoint(path.join(out('nan-later'), 'last.ckpt'));
      assert.equal(last.epoch, 1);
      assert.ok(allFinite(last));
    });

    it('never saves weights that overflowed in a step whose loss was still finite', async () => {
      // One step per epoch, and in epoch 2 a learning rate that is infinite in float32: that step's loss is computed
      // before the update, so it is finite, and only the weights show the divergence. No validation split, whose
      // non-finite logits would otherwise stop the run before the save.
      const fractions = { train: 0.85, val: 0, test: 0.15 };
      const split = await loadSplitDataset(ws.data, { seed: 3, fractions });
      let afterEpoch1 = new Map<string, Buffer>();
      const run = recordRun(options('overflow', { fractions, batch: split.split.train.length, epochs: 2, lrStepEpochs: 1, lrGamma: 1e300 }), {
        onEvent: (e) => {
          if (e.type === 'epoch' && e.epoch === 1) afterEpoch1 = snapshotNow(out('overflow'));
        },
      });
      await assertTrainingError(run, /became non-finite at epoch 2/, /The last good checkpoint .*last\.ckpt is unchanged/);
      assert.deepEqual(await snapshot(out('overflow')), afterEpoch1);
    });
  });

  describe('cancel and resume', () => {
    it('an interrupted-then-resumed run ends with exactly the weights, metrics and best model of an uninterrupted one', async () => {
      const name = 'interrupted';
      const cancelAtStep = async (step: number, resume: boolean): Promise<Awaited<ReturnType<typeof recordRun>>> => {
        const abort = new AbortController();
        return recordRun(options(name, { resume }), { signal: abort.signal, onEvent: (e) => e.type === 'step' && e.step === step && abort.abort() });
      };
      // Mid-epoch 1 (batch 2 of 4), then mid-epoch 2 (batch 3 of 4): two resumes inside an epoch.
      const first = await cancelAtStep(2, false);
      assert.equal(first.outcome.status, 'cancelled');
      assert.deepEqual(eventsOf(first.events, 'stopped'), [{ type: 'stopped', reason: 'cancelled', path: path.join(out(name), 'last.ckpt') }]);
      const mid = await loadCheckpoint(path.join(out(name), 'last.ckpt'));
      assert.deepEqual([mid.epoch, mid.step, mid.optimizer.batchInEpoch], [0, 2, 2]);
      assert.equal(existsSync(path.join(out(name), 'best.ckpt')), false);

      const second = await cancelAtStep(7, true);
      assert.equal(second.outcome.status, 'cancelled');
      assert.equal(eventsOf(second.events, 'step')[0]!.step, 3, 'the resumed run goes on with the next step');
      const third = await recordRun(options(name, { resume: true }));
      assert.equal(third.outcome.status, 'completed');

      for (const file of ['last.ckpt', 'best.ckpt']) {
        const resumed = await loadCheckpoint(path.join(out(name), file));
        const straight = await loadCheckpoint(path.join(reference, file));
        assertSameTensors(resumed, straight);
        assert.deepEqual([resumed.epoch, resumed.step, resumed.optimizer.best], [straight.epoch, straight.step, straight.optimizer.best]);
        assert.deepEqual(resumed.metrics, straight.metrics);
      }
    });

    it('cancelled while preparing the data: reports it, saves nothing and leaves a resumable run as it was', async () => {
      const abort = new AbortController();
      const fresh = await recordRun(options('cancel-prepare'), { signal: abort.signal, onEvent: (e) => e.type === 'prepare' && abort.abort() });
      assert.deepEqual(fresh.outcome, { status: 'cancelled', last: null, best: null, bestEpoch: null, epochs: 0 });
      assert.deepEqual(readdirSync(out('cancel-prepare')), ['manifest.json']);

      const before = await snapshot(reference);
      const again = new AbortController();
      const resumed = await recordRun(options('reference', { resume: true, epochs: 3 }), { signal: again.signal, onEvent: (e) => e.type === 'prepare' && again.abort() });
      assert.equal(resumed.outcome.status, 'cancelled');
      assert.equal(resumed.outcome.last, path.join(reference, 'last.ckpt'));
      assert.deepEqual(await snapshot(reference), before);
    });
  });

  describe('a full disk while saving', () => {
    it('keeps the previous checkpoints byte for byte and leaves no temp file behind', async () => {
      let full = false;
      let afterEpoch1 = new Map<string, Buffer>();
      const run = recordRun(options('disk-full'), {
        checkpointFs: diskThatFills(() => full),
        onEvent: (e) => {
          if (e.type === 'epoch' && e.epoch === 1) {
            afterEpoch1 = snapshotNow(out('disk-full'));
            full = true;
          }
        },
      });
      await assertTrainingError(run, new RegExp(`could not save ${out('disk-full')}/last\\.ckpt: ENOSPC: no space left on device, write; the previous checkpoint there is intact`));
      assert.deepEqual([...afterEpoch1.keys()], ['best.ckpt', 'last.ckpt', 'manifest.json']);
      assert.deepEqual(await snapshot(out('disk-full')), afterEpoch1);
      // The run can go on once there is room again.
      const resumed = await recordRun(options('disk-full', { resume: true }));
      assert.equal(resumed.outcome.status, 'completed');
      assertSameTensors(await loadCheckpoint(path.join(out('disk-full'), 'last.ckpt')), await loadCheckpoint(path.join(reference, 'last.ckpt')));
    });

    it('on the first save of a new run says that nothing was written', async () => {
      await assertTrainingError(recordRun(options('disk-full-at-once'), { checkpointFs: diskThatFills(() => true) }),
        /could not save .*last\.ckpt: ENOSPC.*; no checkpoint was written there/);
      assert.deepEqual(readdirSync(out('disk-full-at-once')), ['manifest.json']);
    });
  });

  describe('run folders and resuming', () => {
    /** Runs `attempt` on the reference run folder and checks that not one byte of it changed. */
    async function leavesReferenceAlone(attempt: () => Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
      const before = await snapshot(reference);
      await assertTrainingError(attempt(), ...patterns);
      assert.deepEqual(await snapshot(reference), before);
    }

    it('refuses to start a new run in a folder that holds one', async () => {
      await leavesReferenceAlone(() => recordRun(options('reference')), /already holds a run \(last\.ckpt\); pass --resume to continue it or choose another --out\. Nothing was changed/);
    });

    it('refuses to start a new run where only best.ckpt is left (the first epoch would overwrite it)', async () => {
      await cp(reference, out('best-only'), { recursive: true });
      await rm(path.join(out('best-only'), 'last.ckpt'));
      const before = await snapshot(out('best-only'));
      await assertTrainingError(recordRun(options('best-only')), /already holds a run \(best\.ckpt\)/);
      assert.deepEqual(await snapshot(out('best-only')), before);
    });

    it('refuses an --out that is a file', async () => {
      await mkdir(out(''), { recursive: true });
      await writeFile(out('a-file'), 'mine');
      await assertTrainingError(recordRun(options('a-file')), /a-file is a file; give a folder for the run/);
      assert.equal(await readFile(out('a-file'), 'utf8'), 'mine');
    });

    it('refuses to resume with another preset', async () => {
      await leavesReferenceAlone(() => recordRun(options('reference', { resume: true, preset: 'small96' })),
        /cannot resume the run in .* with other settings \(model: tiny64 in the run, small96 now; layers: stage3 in the run, stage4 now\); resume with the run's settings/);
    });

    it('refuses to resume with other settings, listing each difference', async () => {
      await leavesReferenceAlone(() => recordRun(options('reference', { resume: true, seed: 4, batch: 8, lambda: 0, codebook: codebookPreset('official-code') })),
        /lambda: 1 in the run, 0 now; seed: 3 in the run, 4 now; batch: 4 in the run, 8 now; codebook: "paper" in the run, "official-code" now, with other AUs for some expressions\)/);
    });

    it('refuses to resume on changed data', async () => {
      const changed = path.join(ws.root, 'changed');
      await cp(ws.data, changed, { recursive: true });
      await writeFile(path.join(changed, 'sad', 'S009_001_00000001.png'), await syntheticPng('sad', 4242));
      await leavesReferenceAlone(() => recordRun(trainOptions(changed, reference, ws.cache, { resume: true })),
        /the data in .*changed changed since the run in .* started \(manifest hash differs\); start a new run/);
    });

    it('refuses to resume where there is nothing to resume', async () => {
      await assertTrainingError(recordRun(options('nothing', { resume: true })), /nothing to resume in .*nothing: it has no last\.ckpt/);
      assert.equal(existsSync(out('nothing')), false);
    });

    it('refuses to resume from a damaged last.ckpt, naming the file and the damage', async () => {
      await cp(reference, out('damaged'), { recursive: true });
      const file = path.join(out('damaged'), 'last.ckpt');
      await truncate(file, 1000);
      const before = await snapshot(out('damaged'));
      await assertTrainingError(recordRun(options('damaged', { resume: true })), new RegExp(`cannot resume the run in .*damaged: ${file}: truncated`));
      assert.deepEqual(await snapshot(out('damaged')), before);
    });
  });
});
