/**
 * Weights of a graph, either as graph inputs (the training loop feeds the current values every run, so a graph
 * is built once per run) or baked in as initializers named by their state_dict key (a standalone model file).
 */
import type { ParamSpec, ParamStore } from '../models/types';
import type { Graph, Tensor } from '../onnx/graph';
import { numel } from '../onnx/graph';

export type WeightSource = 'inputs' | ParamStore;

export function weightTensors(g: Graph, specs: readonly ParamSpec[], source: WeightSource): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  for (const spec of specs) {
    if (source === 'inputs') {
      tensors.set(spec.name, g.input(spec.name, 'float32', spec.shape));
      continue;
    }
    const data = source.get(spec.name);
    if (!data) throw new Error(`the weights have no "${spec.name}"`);
    if (data.length !== numel(spec.shape)) {
      throw new RangeError(`"${spec.name}" has ${data.length} values, expected shape [${spec.shape.join(', ')}]`);
    }
    tensors.set(spec.name, g.constant(data, spec.shape, 'float32', spec.name));
  }
  return tensors;
}

/** The shape of a named graph input, for feeding it. */
export interface IOSpec {
  readonly name: string;
  readonly dtype: Tensor['dtype'];
  readonly shape: readonly number[];
}

export function ioSpecs(ts: readonly Tensor[]): IOSpec[] {
  return ts.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
}

