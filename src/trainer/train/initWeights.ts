/**
 * A model's weights moved onto another class list: fine-tuning a run from a trained or pretrained model
 * (`au-lens train --init`) and scoring a model on data that lacks some of its classes (`au-lens eval`).
 * The linear head is the only class-dependent part: its rows are picked by class name, or the head is re-created.
 */
import type { ModelName } from '../models/modelNames';
import { initParams, paramSpecs } from '../models/params';
import type { ParamSpec, ParamStore } from '../models/types';
import type { Expression } from '../science/labels';
import type { Checkpoint, CheckpointTensor } from './checkpoint';
import { assertCompatible } from './checkpointCompat';

/** What happened to the head: same classes, rows picked (and reordered) by class, or new weights. */
export type HeadAdaptation = 'kept' | 'selected' | 'recreated';

const isHead = (s: ParamSpec): boolean => s.role === 'fc_weight' || s.role === 'fc_bias';

/** The rows of a (classes, …) tensor for `labels`, in that order. */
function pickRows(t: CheckpointTensor, from: readonly Expression[], labels: readonly Expression[]): CheckpointTensor {
  const width = t.data.length / from.length;
  const data = new Float32Array(labels.length * width);
  labels.forEach((label, i) => {
    const row = from.indexOf(label);
    data.set(t.data.subarray(row * width, (row + 1) * width), i * width);
  });
  return { name: t.name, shape: [labels.length, ...t.shape.slice(1)], data };
}

/**
 * The checkpoint as a model of `labels` only, each a class it has: the head keeps those rows in that order, so
 * logit k is the original logit of labels[k] and the argmax runs over these classes alone (how a 7-class model is
 * scored on data without neutral).
 */
export function restrictClasses(checkpoint: Checkpoint, labels: readonly Expression[]): Checkpoint {
  const missing = labels.find((l) => !checkpoint.labels.includes(l));
  if (missing !== undefined) {
    throw new RangeError(`the model has no class ${missing}; its classes: ${checkpoint.labels.join(', ')}`);
  }
  if (labels.length < 2) throw new RangeError('a model needs at least two classes');
  const head = new Set(paramSpecs(checkpoint.model.preset, checkpoint.labels.length).filter(isHead).map((s) => s.name));
  return {
    ...checkpoint,
    model: { ...checkpoint.model, numClasses: labels.length },
    labels: [...labels],
    tensors: {
      model: checkpoint.tensors.model.map((t) => (head.has(t.name) ? pickRows(t, checkpoint.labels, labels) : t)),
      momentum: [],
    },
  };
}

/**
 * Initial weights for a run of `preset` on `labels` from `source` (which must be the same model; every tensor
 * but the head must fit). The head is kept when the classes are the same, its rows are picked when every run
 * class is one of the source's, and it is re-created otherwise with PyTorch's Linear initialisation drawn from
 * `seed`, as a new run's would be. Momentum starts at zero: fine-tuning is a new optimisation.
 */
export function initialWeights(
  source: Checkpoint,
  preset: ModelName,
  labels: readonly Expression[],
  seed: number,
): { params: ParamStore; head: HeadAdaptation } {
  const specs = paramSpecs(preset, labels.length);
  const body = specs.filter((s) => !isHead(s));
  const headNames = new Set(specs.filter(isHead).map((s) => s.name));
  const bodyOnly: Checkpoint = {
    ...source,
    tensors: { model: source.tensors.model.filter((t) => !headNames.has(t.name)), momentum: [] },
  };
  assertCompatible(bodyOnly, body, preset);
  const params: ParamStore = new Map(bodyOnly.tensors.model.map((t) => [t.name, t.data]));

  const same = source.labels.length === labels.length && source.labels.every((l, i) => l === labels[i]);
  const known = labels.every((l) => source.labels.includes(l));
  const headOf = (ckpt: Checkpoint): CheckpointTensor[] => ckpt.tensors.model.filter((t) => headNames.has(t.name));
  if (same || known) {
    for (const t of headOf(same ? source : restrictClasses(source, labels))) params.set(t.name, t.data);
    return { params, head: same ? 'kept' : 'selected' };
  }
  const fresh = initParams(specs.filter(isHead), seed);
  for (const [name, data] of fresh) params.set(name, data);
  return { params, head: 'recreated' };
}
