/**
 * The inference graph: eval-mode forward returning the logits, the paper's attention map (channel mean, §4) of
 * every layer of the preset, and the last stage's features. With weights as inputs it evaluates a model during
 * training without a rebuild; with a ParamStore the weights are baked in, a standalone model file.
 */
import { ChannelMean } from '../autodiff/ops/attention';
import { Tape } from '../autodiff/tape';
import { buildForward } from '../models/forward';
import type { ModelName } from '../models/modelNames';
import { paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import type { Forward, ParamStore } from '../models/types';
import type { Device } from '../onnx/deviceNames';
import { Graph } from '../onnx/graph';
import { toModelBytes } from '../onnx/serialize';
import type { IOSpec, WeightSource } from './weights';
import { ioSpecs, weightTensors } from './weights';

export interface InferenceConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  readonly batch: number;
  /** The device the graph runs on, whose provider's ops it uses (default: the CPU; onnx/graph.ts). */
  readonly device?: Device;
}

export interface GraphIO {
  readonly inputs: readonly IOSpec[];
  readonly outputs: readonly IOSpec[];
}

export const attentionName = (layer: string): string => `att.${layer}`;

/**
 * Emits the 'image' input, the eval-mode forward and the inference outputs ('logits', 'att.<layer>' (N,H,W) for
 * every layer, 'features' (N,C,H,W)) into `g`; returns the forward for graphs that add more.
 */
export function emitInference(g: Graph, tape: Tape, config: InferenceConfig, weights: WeightSource): Forward {
  const { preset, numClasses, batch } = config;
  const size = presetInfo(preset).inputSize;
  const image = g.input('image', 'float32', [batch, 3, size, size]);
  const params = weightTensors(g, paramSpecs(preset, numClasses), weights);
  const forward = buildForward(tape, { preset, numClasses }, image, params, 'eval');
  g.output(forward.logits, 'logits');
  for (const layer of forward.layers) {
    g.output(tape.apply1(ChannelMean, [forward.stage(layer)], undefined), attentionName(layer));
  }
  g.output(forward.stage(presetInfo(preset).defaultLayer), 'features');
  return forward;
}

export function buildInference(config: InferenceConfig, weights: WeightSource): { model: Uint8Array; io: GraphIO } {
  const g = new Graph(`inference_${config.preset}`, config.device);
  emitInference(g, new Tape(g), config, weights);
  const model = toModelBytes(g, {
    kind: 'inference',
    preset: config.preset,
    numClasses: String(config.numClasses),
    batch: String(config.batch),
  });
  return { model, io: { inputs: ioSpecs(g.inputs), outputs: ioSpecs(g.outputs) } };
}

/**
 * The logits alone, weights baked in, for a fixed batch: the classifier the faithfulness metrics put perturbed
 * faces through (no attention outputs, no gradients).
 */
export function buildLogits(config: InferenceConfig, weights: ParamStore): Uint8Array {
  const { preset, numClasses, batch } = config;
  const g = new Graph(`logits_${preset}`, config.device);
  const size = presetInfo(preset).inputSize;
  const image = g.input('image', 'float32', [batch, 3, size, size]);
  const params = weightTensors(g, paramSpecs(preset, numClasses), weights);
  g.output(buildForward(new Tape(g), { preset, numClasses }, image, params, 'eval').logits, 'logits');
  return toModelBytes(g, { kind: 'logits', preset, numClasses: String(numClasses), batch: String(batch) });
}
