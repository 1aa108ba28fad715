/**
 * The graph behind one single-image explanation: the inference outputs plus the CAM layer's activations and the
 * gradient of the explained class's logit at it, as graphs/explain.ts emits them, except that the explained class
 * may be left to the graph: target −1 explains the predicted class (ArgMax of the logits, the first maximum, as
 * torch.argmax), so "explain what the model sees" is one run, not a forward to find the class and a second run.
 */
import { Tape } from '../autodiff/tape';
import { activationName, gradientName, layerGradients } from '../graphs/explain';
import { emitInference } from '../graphs/inference';
import type { ModelName } from '../models/modelNames';
import { checkLayers } from '../models/presets';
import type { ParamStore } from '../models/types';
import { oneHot } from '../onnx/classScores';
import type { Device } from '../onnx/deviceNames';
import type { Tensor } from '../onnx/graph';
import { Graph } from '../onnx/graph';
import { cast, compare, cumSum, mul, reduceMax, reduceSum, unsqueeze, where } from '../onnx/ops';
import { toModelBytes } from '../onnx/serialize';

/** Feed this as 'target' to explain the predicted class. */
export const PREDICTED_CLASS = -1;

/** The int64 [1] output holding the class whose gradient was taken. */
export const EXPLAINED_OUTPUT = 'explained';

export interface ExplainerGraphConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  readonly camLayer: string;
  /** The device the graph runs on, whose provider's ops it uses (default: the CPU; onnx/graph.ts). */
  readonly device?: Device;
}

/**
 * The class to explain, as int64 [1] and as its one-hot row (1, K): the requested one, or for a negative request
 * the predicted one, the first maximum of the logits (as torch.argmax).
 */
function explainedClass(
  g: Graph,
  logits: Tensor,
  requested: Tensor,
  numClasses: number,
): { index: Tensor; row: Tensor } {
  if (g.device !== 'webgpu') {
    const predicted = g.node('ArgMax', [logits], [{ dtype: 'int64', shape: [1] }], {
      axis: { i: 1 },
      keepdims: { i: 0 },
    })[0]!;
    const index = where(g, compare(g, 'Less', requested, g.ints([0])), predicted, requested);
    return { index, row: oneHot(g, index, numClasses) };
  }
  // WebGPU leaves int64 arithmetic to the CPU: the choice is made in float32, and only the request and the answer
  // are cast there (one value each).
  const classes = g.constant(Float32Array.from({ length: numClasses }, (_, k) => k), [numClasses]);
  const wanted = unsqueeze(g, cast(g, requested, 'float32'), [1]);
  const isMax = cast(g, compare(g, 'Equal', logits, reduceMax(g, logits, [1])), 'float32');
  const predicted = mul(g, isMax, cast(g, compare(g, 'Equal', cumSum(g, isMax, 1), g.scalar(1)), 'float32'));
  const row = where(g, compare(g, 'Less', wanted, g.scalar(0)), predicted, oneHot(g, requested, numClasses));
  return { index: cast(g, reduceSum(g, mul(g, row, classes), [1], false), 'int64'), row };
}

/** Batch 1, weights baked in: inputs 'image' and 'target' (int64 [1]). */
export function buildExplainerGraph(config: ExplainerGraphConfig, weights: ParamStore): Uint8Array {
  const { preset, numClasses, camLayer } = config;
  checkLayers(preset, [camLayer]);
  const g = new Graph(`explain_one_${preset}`, config.device);
  const tape = new Tape(g);
  const forward = emitInference(g, tape, { preset, numClasses, batch: 1 }, weights);
  const target = explainedClass(g, forward.logits, g.input('target', 'int64', [1]), numClasses);
  g.output(target.index, EXPLAINED_OUTPUT);
  // ∂logits[0, t]/∂logits is the one-hot row of t: seed the backward with it, as graphs/explain.ts does.
  const [grad] = layerGradients(tape, forward, [camLayer], target.row);
  g.output(forward.stage(camLayer), activationName(camLayer));
  g.output(grad!, gradientName(camLayer));
  return toModelBytes(g, {
    kind: 'explanation',
    preset,
    numClasses: String(numClasses),
    batch: '1',
    layers: camLayer,
  });
}
