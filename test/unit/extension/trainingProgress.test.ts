import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeGuess, guessDatasets, markerRoot } from '../../../src/extension/training/datasetGuess';
import {
  advance, deviceOf, fractionDone, pointsOf, progressText, startProgress,
} from '../../../src/extension/training/runProgress';
import type { TrainEvent } from '../../../src/trainer/train/options';

const step = (stepNo: number, epoch: number, batch: number, loss: number): TrainEvent =>
  ({ type: 'step', epoch, batch, batches: 4, step: stepNo, loss, ce: loss - 0.1, align: 0.1, lr: 0.01, imagesPerSecond: 120.4, dataWaitSeconds: 0 });
const epoch = (n: number, acc: number, best: boolean): TrainEvent => ({
  type: 'epoch', epoch: n, epochs: 2, seconds: 3, best,
  train: { loss: 0.8, ce: 0.7, align: 0.1, accuracy: 0.5, lr: 0.01 }, val: { accuracy: acc, balancedAccuracy: acc, attCos: { stage3: 0.4 } },
});

describe('training progress in the editor', () => {
  it('says what the run does: preparing, then epoch, loss and speed; and how much is done', () => {
    let p = startProgress(2);
    assert.equal(progressText(p), 'starting…');
    p = advance(p, { type: 'prepare', set: 'train', phase: 'prepare', done: 3, total: 10, imagesPerSecond: 2, etaSeconds: 3.5 });
    assert.equal(progressText(p), 'finding faces and preparing AU maps (training set) 3/10 · 4 s left');
    const landmarks = advance(p, { type: 'prepare', set: 'val', phase: 'landmarks', done: 5, total: 9, imagesPerSecond: 1, etaSeconds: 125 });
    assert.equal(progressText(landmarks), 'finding faces (validation set) 5/9 · 2 min 05 s left');
    assert.equal(fractionDone(p), 0);
    p = advance(p, step(2, 1, 2, 0.8449));
    assert.equal(progressText(p), 'epoch 1/2 · loss 0.84 · 120 img/s');
    assert.equal(fractionDone(p), 0.25);
    p = advance(p, epoch(1, 0.75, true));
    assert.equal(p.bestValAccuracy, 0.75);
    p = advance(p, epoch(2, 0.5, false));
    assert.equal(p.bestValAccuracy, 0.75, 'a worse epoch keeps the best');
    assert.equal(advance(p, { type: 'stopped', reason: 'cancelled', path: null }).phase, 'stopping');
  });

  it('names the device the run trains on, the latest one for a run resumed elsewhere', () => {
    const onGpu: TrainEvent = { type: 'device', device: 'webgpu', label: 'WebGPU · NVIDIA H200' };
    assert.equal(startProgress(2).device, null);
    assert.equal(advance(startProgress(2), onGpu).device, 'WebGPU · NVIDIA H200');
    assert.equal(deviceOf([step(1, 1, 1, 2)]), null, 'a run logged before runs said their device');
    assert.equal(deviceOf([{ type: 'device', device: 'cpu', label: 'CPU' }, step(1, 1, 1, 2), onGpu]), 'WebGPU · NVIDIA H200');
  });

  it('keeps the later values of steps and epochs a resumed run repeats', () => {
    const { steps, epochs } = pointsOf([step(1, 1, 1, 2), step(2, 1, 2, 1.5), step(3, 1, 3, 1.4), step(2, 1, 2, 1.45), epoch(1, 0.5, true), step(3, 1, 3, 1.3)]);
    assert.deepEqual(steps.map((s) => [s.step, s.loss]), [[1, 2], [2, 1.45], [3, 1.3]]);
    assert.deepEqual(epochs.map((e) => [e.epoch, e.valAccuracy, e.attCos['stage3']]), [[1, 0.5, 0.4]]);
  });

  it('finds data folders: two or more class folders with images, most images first', () => {
    const found = guessDatasets([
      '/ws/ck/happy/a.png', '/ws/ck/happy/b.png', '/ws/ck/sad/c.png',
      '/ws/small/x/1.png', '/ws/small/y/2.png',
      '/ws/photos/one/holiday.jpg',
    ]);
    assert.deepEqual(found, [
      { folder: '/ws/ck', layout: 'image-folder', classes: ['happy', 'sad'], images: 3 },
      { folder: '/ws/small', layout: 'image-folder', classes: ['x', 'y'], images: 2 },
    ]);
    assert.equal(describeGuess(found[0]!), '2 classes (happy, sad) · 3 images');
  });

  it('offers RAF-DB- and FER2013-shaped folders first, and their images as no class-folder guess', () => {
    const raf = path.join('/ws', 'RAF-DB', 'basic');
    const fer = path.join('/ws', 'fer');
    const found = guessDatasets([
      path.join(raf, 'Image', 'aligned', 'train_00001_aligned.jpg'), path.join(raf, 'Image', 'aligned', 'test_0001_aligned.jpg'),
      path.join(raf, 'Image', 'original', 'train_00001.jpg'),
      '/ws/ck/happy/a.png', '/ws/ck/sad/c.png',
    ], [{ folder: raf, layout: 'rafdb-original' }, { folder: fer, layout: 'fer2013' }]);
    assert.deepEqual(found, [
      { folder: fer, layout: 'fer2013', classes: [], images: undefined },
      { folder: raf, layout: 'rafdb-original', classes: [], images: 3 },
      { folder: '/ws/ck', layout: 'image-folder', classes: ['happy', 'sad'], images: 2 },
    ]);
    assert.equal(describeGuess(found[0]!), 'FER2013, 48×48 rows of fer2013.csv · official train/test split');
    assert.equal(describeGuess(found[1]!), 'RAF-DB basic, original photos cut by their boxes · official train/test split · 3 images');
  });

  it('takes the dataset folder from each marker file the workspace search finds', () => {
    assert.equal(markerRoot(path.join('/ws', 'RAF-DB', 'basic', 'EmoLabel', 'list_patition_label.txt')), path.join('/ws', 'RAF-DB', 'basic'));
    assert.equal(markerRoot(path.join('/ws', 'elsewhere', 'list_patition_label.txt')), undefined);
    assert.equal(markerRoot(path.join('/ws', 'fer', 'fer2013.csv')), path.join('/ws', 'fer'));
    assert.equal(markerRoot(path.join('/ws', 'an', 'train_set', 'annotations', '17_exp.npy')), path.join('/ws', 'an'));
    assert.equal(markerRoot(path.join('/ws', 'an', '17_exp.npy')), undefined);
  });
});
