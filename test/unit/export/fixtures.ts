/**
 * Checkpoints for export and explanation tests, built in memory from initParams rather than trained: untrained
 * tiny64 weights with non-trivial BatchNorm statistics, so eval-mode BatchNorm is not an identity.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { untrainedCheckpoint } from '../../../src/trainer/explain/benchExplain';
import type { PresetName } from '../../../src/trainer/models/modelNames';
import { paramSpecs } from '../../../src/trainer/models/params';
import { numel } from '../../../src/trainer/onnx/graph';
import type { Feeds } from '../../../src/trainer/onnx/session';
import { createSession } from '../../../src/trainer/onnx/session';
import type { Expression } from '../../../src/trainer/science/labels';
import type { Checkpoint } from '../../../src/trainer/train/checkpoint';
import { randn } from '../../helpers/gradcheck';

export type Outputs = Record<string, Float32Array>;

/** An untrained checkpoint whose BatchNorm γ, β and running statistics are random. */
export function randomCheckpoint(seed: number, labels?: readonly Expression[], preset: PresetName = 'tiny64'): Checkpoint {
  const base = untrainedCheckpoint(preset, seed, labels);
  const roles = new Map(paramSpecs(preset, base.labels.length).map((s) => [s.name, s.role]));
  const model = base.tensors.model.map((t, i) => {
    const r = randn(numel(t.shape), seed * 1000 + i);
    const role = roles.get(t.name);
    const data = Float32Array.from(t.data);
    if (role === 'bn_weight') data.forEach((_, k) => (data[k] = 1 + 0.2 * r[k]!));
    if (role === 'bn_bias' || role === 'bn_running_mean') data.forEach((_, k) => (data[k] = 0.1 * r[k]!));
    if (role === 'bn_running_var') data.forEach((_, k) => (data[k] = Math.exp(0.3 * r[k]!)));
    return { ...t, data };
  });
  return { ...base, lambda: 1, tensors: { model, momentum: [] } };
}

/** Runs a model once and returns its outputs as plain arrays. */
export async function runOnce(model: Uint8Array | InferenceSession, feeds: Feeds): Promise<Outputs> {
  const session = model instanceof Uint8Array ? await createSession(model) : model;
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    if (model instanceof Uint8Array) await session.release();
  }
}

/** max |a − b| over max |b|. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}
