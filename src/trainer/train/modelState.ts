/**
 * The tensors of a model under training, kept as ONNX Runtime tensors between steps: each step's `new.*`
 * outputs become the next step's inputs without a copy.
 */
import { isTrainable } from '../models/params';
import type { ParamSpec, ParamStore } from '../models/types';
import type { ort } from '../onnx/session';
import { floatTensor } from '../onnx/session';
import type { CheckpointTensor } from './checkpoint';

export class ModelState {
  private constructor(
    readonly specs: readonly ParamSpec[],
    /** Parameters and running statistics, by state_dict name. */
    readonly model: Map<string, ort.Tensor>,
    /** Momentum buffers, by parameter name. */
    readonly momentum: Map<string, ort.Tensor>,
  ) {}

  /** From initial weights; momentum buffers start at zero (PyTorch's first step then sets buf = g). */
  static fromParams(
    specs: readonly ParamSpec[],
    params: ParamStore,
    momentum?: ReadonlyMap<string, Float32Array>,
  ): ModelState {
    const model = new Map<string, ort.Tensor>();
    const buffers = new Map<string, ort.Tensor>();
    for (const spec of specs) {
      const data = params.get(spec.name);
      if (!data) throw new Error(`missing weights for "${spec.name}"`);
      model.set(spec.name, floatTensor(data, spec.shape));
      if (isTrainable(spec)) {
        buffers.set(spec.name, floatTensor(momentum?.get(spec.name) ?? new Float32Array(data.length), spec.shape));
      }
    }
    return new ModelState(specs, model, buffers);
  }

  /** Plain arrays of the model tensors (for baked graphs and checkpoints). */
  params(): ParamStore {
    return new Map([...this.model].map(([name, t]) => [name, t.data as Float32Array]));
  }

  /** The first tensor holding a NaN or an infinity (a diverged update), or undefined when all are finite. */
  firstNonFinite(): string | undefined {
    for (const [name, t] of this.model) {
      if (!(t.data as Float32Array).every(Number.isFinite)) return name;
    }
    for (const [name, t] of this.momentum) {
      if (!(t.data as Float32Array).every(Number.isFinite)) return `momentum of ${name}`;
    }
    return undefined;
  }

  checkpointTensors(): { model: CheckpointTensor[]; momentum: CheckpointTensor[] } {
    const byName = new Map(this.specs.map((s) => [s.name, s.shape]));
    const toList = (m: Map<string, ort.Tensor>): CheckpointTensor[] =>
      [...m].map(([name, t]) => ({ name, shape: byName.get(name)!, data: t.data as Float32Array }));
    return { model: toList(this.model), momentum: toList(this.momentum) };
  }
}
