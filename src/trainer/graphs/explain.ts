/**
 * The explanation graph: the inference outputs plus, for each requested layer, its activations and the gradient
 * of the target class score at it — what Grad-CAM, Grad-CAM++ and LayerCAM weigh (pytorch-grad-cam hooks the
 * same two tensors at a layer's output). The score is Σ_n logits[n, target_n], so each image's gradient is that
 * of its own target logit.
 */
import { Tape } from '../autodiff/tape';
import type { Forward, GradientSource } from '../models/types';
import { oneHot } from '../onnx/classScores';
import type { Tensor } from '../onnx/graph';
import { Graph } from '../onnx/graph';
import { toModelBytes } from '../onnx/serialize';
import { checkLayers } from '../models/presets';
import type { GraphIO, InferenceConfig } from './inference';
import { emitInference } from './inference';
import type { WeightSource } from './weights';
import { ioSpecs } from './weights';

export interface ExplanationConfig extends InferenceConfig {
  readonly layers: readonly string[];
}

export const activationName = (layer: string): string => `act.${layer}`;
export const gradientName = (layer: string): string => `grad.${layer}`;

/**
 * The gradient of ⟨seed, logits⟩ at each layer, in the layer's shape. A layer built beside the network (a ViT's
 * token grid) gets the view of its on-path source's gradient (Forward.gradientSource).
 */
export function layerGradients(tape: Tape, forward: Forward, layers: readonly string[], seed: Tensor): Tensor[] {
  const onPath = (l: string): GradientSource => ({ tensor: forward.stage(l), view: (t) => t });
  const sources = layers.map((l) => forward.gradientSource?.(l) ?? onPath(l));
  const grads = tape.gradients(forward.logits, sources.map((s) => s.tensor), seed);
  return sources.map((s) => s.view(grads.get(s.tensor.name)!));
}

export function buildExplanation(config: ExplanationConfig, weights: WeightSource): { model: Uint8Array; io: GraphIO } {
  const { preset, numClasses, batch, layers } = config;
  if (layers.length === 0) throw new RangeError('an explanation needs at least one layer');
  checkLayers(preset, layers);
  const g = new Graph(`explain_${preset}`, config.device);
  const tape = new Tape(g);
  const forward = emitInference(g, tape, config, weights);
  const target = g.input('target', 'int64', [batch]);
  // ∂(Σ_n logits[n, t_n])/∂logits is the one-hot matrix of the targets: seed the backward with it.
  const grads = layerGradients(tape, forward, layers, oneHot(g, target, numClasses));
  layers.forEach((layer, i) => {
    g.output(forward.stage(layer), activationName(layer));
    g.output(grads[i]!, gradientName(layer));
  });
  const model = toModelBytes(g, {
    kind: 'explanation',
    preset,
    numClasses: String(numClasses),
    batch: String(batch),
    layers: layers.join(','),
  });
  return { model, io: { inputs: ioSpecs(g.inputs), outputs: ioSpecs(g.outputs) } };
}
