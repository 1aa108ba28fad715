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
import { Graph } from '../onnx/graph';
import { compare, oneHot, where } from '../onnx/ops';
import { toModelBytes } from '../onnx/serialize';

/** Feed this as 'target' to explain the predicted class. */
export const PREDICTED_CLASS = -1;

/** The int64 [1] output holding the class whose gradient was taken. */
export const EXPLAINED_OUTPUT = 'explained';

export interface ExplainerGraphConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  readonly camLayer: string;
}

/** Batch 1, weights baked in: inputs 'image' and 'target' (int64 [1]). */
export function buildExplainerGraph(config: ExplainerGraphConfig, weights: ParamStore): Uint8Array {
  const { preset, numClasses, camLayer } = config;
  checkLayers(preset, [camLayer]);
  const g = new Graph(`explain_one_${preset}`);
  const tape = new Tape(g);
  const forward = emitInference(g, tape, { preset, numClasses, batch: 1 }, weights);
  const requested = g.input('target', 'int64', [1]);
  const predicted = g.node('ArgMax', [forward.logits], [{ dtype: 'int64', shape: [1] }], {
    axis: { i: 1 },
    keepdims: { i: 0 },
  })[0]!;
  const target = where(g, compare(g, 'Less', requested, g.ints([0])), predicted, requested);
  g.output(target, EXPLAINED_OUTPUT);
  // ∂logits[0, t]/∂logits is the one-hot row of t: seed the backward with it, as graphs/explain.ts does.
  const [grad] = layerGradients(tape, forward, [camLayer], oneHot(g, target, numClasses));
  g.output(forward.stage(camLayer), activationName(camLayer));
  g.output(grad!, gradientName(camLayer));
  return toModelBytes(g, { kind: 'explanation', preset, numClasses: String(numClasses), batch: '1', layers: camLayer });
}
