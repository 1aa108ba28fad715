/** A small but complete checkpoint (a few KiB): every header field, model and momentum tensors. */
import { IMAGENET_NORMALISATION } from '../../src/trainer/models/modelInfo';
import { codebookPreset } from '../../src/trainer/science/codebook';
import { PAPER_CLASSES } from '../../src/trainer/science/labels';
import type { Checkpoint } from '../../src/trainer/train/checkpoint';

export function smallTensor(name: string, shape: number[], seed: number): { name: string; shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: new Float32Array(n).map((_, i) => Math.sin(seed * 1000 + i) * 3.5) };
}

export function smallCheckpoint(step = 120): Checkpoint {
  return {
    model: { preset: 'tiny64', numClasses: 7, inputSize: 64 },
    labels: PAPER_CLASSES,
    codebook: codebookPreset('paper'),
    lambda: 4,
    layers: ['stages.2', 'stages.3'],
    normalisation: IMAGENET_NORMALISATION,
    dataManifestHash: 'ab'.repeat(32),
    epoch: 3,
    step,
    optimizer: {
      lr: 0.002 * 0.9,
      scheduleStep: 1,
      seed: 0,
      batchInEpoch: 0,
      best: { metric: 'valAccuracy', value: 0.8125, epoch: 2, step: 90 },
      settings: { momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    },
    metrics: [
      { epoch: 1, trainLoss: 1.9, valAccuracy: 0.5 },
      { epoch: 2, trainLoss: 1.2, valAccuracy: 0.8125, note: null },
    ],
    createdAt: '2025-01-02T03:04:05.000Z',
    tensors: {
      model: [smallTensor('stem.0.weight', [8, 3, 3, 3], 1), smallTensor('stem.1.running_var', [8], 2), smallTensor('fc.weight', [7, 8], 3), smallTensor('fc.bias', [7], 4)],
      momentum: [smallTensor('stem.0.weight', [8, 3, 3, 3], 5), smallTensor('fc.weight', [7, 8], 6)],
    },
  };
}
