/**
 * Whether a checkpoint fits a run: the same preset and exactly the tensors the model needs, with their shapes.
 * Resuming, fine-tuning and evaluating check this before any weight is used.
 */
import type { Checkpoint } from './checkpoint';
import { CheckpointMismatchError } from './checkpoint';
import { shapeText } from './checkpointEncoding';

/** A tensor the run expects: its state_dict name and shape (models/params.ts ParamSpec fits). */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Throws a CheckpointMismatchError naming the first difference between the checkpoint and the run: the
 * preset, then each expected model tensor (missing or mis-shaped), then extra model tensors, then momentum
 * buffers that match no expected tensor.
 */
export function assertCompatible(checkpoint: Checkpoint, expectedSpecs: readonly TensorSpec[], preset: string): void {
  if (checkpoint.model.preset !== preset) {
    throw new CheckpointMismatchError(`checkpoint is ${checkpoint.model.preset}, the run is ${preset}`);
  }
  const stored = new Map(checkpoint.tensors.model.map((t) => [t.name, t]));
  const expected = new Map(expectedSpecs.map((s) => [s.name, s]));
  for (const spec of expectedSpecs) {
    const t = stored.get(spec.name);
    if (!t) {
      throw new CheckpointMismatchError(
        `checkpoint has no tensor "${spec.name}" (${shapeText(spec.shape)}), which the ${preset} model needs`,
      );
    }
    if (!sameShape(t.shape, spec.shape)) {
      throw new CheckpointMismatchError(
        `tensor "${spec.name}" is ${shapeText(t.shape)} in the checkpoint, the ${preset} model needs ` +
          `${shapeText(spec.shape)}`,
      );
    }
  }
  const extra = checkpoint.tensors.model.find((t) => !expected.has(t.name));
  if (extra) {
    throw new CheckpointMismatchError(
      `checkpoint has a tensor "${extra.name}" (${shapeText(extra.shape)}) that the ${preset} model does not have`,
    );
  }
  for (const m of checkpoint.tensors.momentum) {
    const spec = expected.get(m.name);
    if (!spec) {
      throw new CheckpointMismatchError(
        `checkpoint has a momentum buffer for "${m.name}", which the ${preset} model does not have`,
      );
    }
    if (!sameShape(m.shape, spec.shape)) {
      throw new CheckpointMismatchError(
        `momentum buffer "${m.name}" is ${shapeText(m.shape)} in the checkpoint, the ${preset} model needs ` +
          `${shapeText(spec.shape)}`,
      );
    }
  }
}
