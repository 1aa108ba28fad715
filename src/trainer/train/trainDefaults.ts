/**
 * The defaults of a training run, shared by `au-lens train` (its help and its options), the editor's Train Model
 * steps and the worker. A module without imports, so the extension can bundle it without the trainer.
 */
export const TRAIN_DEFAULTS = {
  model: 'tiny64',
  lambda: 4,
  epochs: 100,
  batch: 32,
  seed: 0,
  lr: 0.05,
  fineTuneLr: 0.005,
  weightDecay: 5e-4,
  lrStep: 4,
  lrGamma: 0.9,
  momentum: 0.9,
} as const;
