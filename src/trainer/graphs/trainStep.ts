/**
 * One training step as one ONNX graph: train-mode forward, the paper's composite loss, the backward pass and
 * the torch.optim.SGD update (momentum, Nesterov, weight decay), plus BatchNorm's running-statistics update.
 * Weights, momentum buffers and running statistics are inputs and come back as `new.*` outputs, which the
 * training loop feeds into the next step (`TrainStepIO.state` pairs them); the learning rate is an input too,
 * so a schedule needs no rebuild.
 */
import { compositeLoss } from '../autodiff/compositeLoss';
import { runningStatUpdate } from '../autodiff/ops/batchNorm';
import { Tape } from '../autodiff/tape';
import { buildForward } from '../models/forward';
import type { ModelName } from '../models/modelNames';
import { isDecayed, isTrainable, paramSpecs } from '../models/params';
import { checkLayers, presetInfo } from '../models/presets';
import type { Device } from '../onnx/deviceNames';
import type { Tensor } from '../onnx/graph';
import { Graph } from '../onnx/graph';
import { add, mul, sub, zerosLike } from '../onnx/ops';
import { toModelBytes } from '../onnx/serialize';
import type { IOSpec } from './weights';
import { ioSpecs, weightTensors } from './weights';

export interface TrainStepConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  readonly batch: number;
  /** Weight of the alignment term (the peer: 4). */
  readonly lambda: number;
  /** Layers whose attention is aligned with the AU maps (presetInfo(preset).layers). */
  readonly layers: readonly string[];
  /** SGD momentum (default 0.9). */
  readonly momentum?: number;
  /** Nesterov momentum (default true). */
  readonly nesterov?: boolean;
  /**
   * L2 weight decay (default 5e-4): on every CNN parameter, BN and biases included, as the peer's SGD; on a ViT's
   * matrices only, as timm groups them (ParamSpec.decay).
   */
  readonly weightDecay?: number;
  /**
   * The cross-entropy's class weights, one per class; when given, the graph takes each batch's per-sample weights
   * (TRAIN_INPUTS.ceWeights, science/classWeights.ts sampleWeights) and the stepper feeds them.
   */
  readonly classWeights?: readonly number[];
  /** The device the step runs on, whose provider's ops the graph uses (default: the CPU; onnx/graph.ts). */
  readonly device?: Device;
  /** Another input side than the preset's (ResNets only), to check the step cheaply on a slow device (SwiftShader). */
  readonly inputSize?: number;
}

/** PyTorch BatchNorm2d's default running-statistics momentum. */
export const BN_MOMENTUM = 0.1;

/** The graph's data inputs. */
export const TRAIN_INPUTS = {
  image: 'image',
  labels: 'labels',
  auMaps: 'au_maps',
  auValid: 'au_valid',
  lr: 'lr',
  /** Only in graphs built with class weights. */
  ceWeights: 'ce_weights',
} as const;
/** The graph's scalar and logits outputs. */
export const TRAIN_OUTPUTS = { loss: 'loss', ce: 'ce', align: 'align', logits: 'logits' } as const;

export const momentumName = (param: string): string => `momentum.${param}`;
/** The output that holds a state input's value after the step. */
export const updatedName = (state: string): string => `new.${state}`;

export interface TrainStepIO {
  /** Every graph input, in declaration order. */
  readonly inputs: readonly IOSpec[];
  /** Every graph output. */
  readonly outputs: readonly IOSpec[];
  /** Trainable parameters (state_dict names and order). */
  readonly params: readonly string[];
  /** BatchNorm running statistics. */
  readonly runningStats: readonly string[];
  /**
   * Momentum buffers, `momentum.<param>` in the order of `params`; zeros before the first step (PyTorch's first
   * step sets buf = g, which μ·0 + g gives).
   */
  readonly momentum: readonly string[];
  /** Each state input with the output that replaces it after a step. */
  readonly state: readonly { readonly input: string; readonly output: string }[];
}

export function buildTrainStep(config: TrainStepConfig): { model: Uint8Array; io: TrainStepIO } {
  const { preset, numClasses, batch, lambda, layers } = config;
  const mu = config.momentum ?? 0.9;
  const nesterov = config.nesterov ?? true;
  const weightDecay = config.weightDecay ?? 5e-4;
  if (layers.length === 0) throw new RangeError('the train step needs at least one attention layer');
  checkLayers(preset, layers);
  const size = config.inputSize ?? presetInfo(preset).inputSize;

  const g = new Graph(`train_step_${preset}`, config.device);
  const tape = new Tape(g);
  const image = g.input(TRAIN_INPUTS.image, 'float32', [batch, 3, size, size]);
  const labels = g.input(TRAIN_INPUTS.labels, 'int64', [batch]);
  const auMaps = g.input(TRAIN_INPUTS.auMaps, 'float32', [batch, 1, size, size]);
  const auValid = g.input(TRAIN_INPUTS.auValid, 'float32', [batch]);
  const lr = g.input(TRAIN_INPUTS.lr, 'float32', []);
  if (config.classWeights !== undefined && config.classWeights.length !== numClasses) {
    throw new RangeError(`${config.classWeights.length} class weights for ${numClasses} classes`);
  }
  const ceWeights = config.classWeights && g.input(TRAIN_INPUTS.ceWeights, 'float32', [batch]);
  const specs = paramSpecs(preset, numClasses);
  const weights = weightTensors(g, specs, 'inputs');
  const trainable = specs.filter(isTrainable).map((s) => s.name);
  const decayed = new Set(specs.filter(isDecayed).map((s) => s.name));
  const running = specs.filter((s) => !isTrainable(s)).map((s) => s.name);
  const buffers = trainable.map((name) => g.input(momentumName(name), 'float32', weights.get(name)!.shape));

  const forward = buildForward(tape, { preset, numClasses, inputSize: size }, image, weights, 'train');
  const attentions = layers.map((l) => forward.stage(l));
  const loss = compositeLoss(tape, {
    logits: forward.logits, labels, attentions, auMaps, auValid, lambda, ...(ceWeights && { ceWeights }),
  });
  const grads = tape.gradients(loss.total, trainable.map((n) => weights.get(n)!));

  g.output(loss.total, TRAIN_OUTPUTS.loss);
  g.output(loss.ce, TRAIN_OUTPUTS.ce);
  g.output(loss.align, TRAIN_OUTPUTS.align);
  g.output(forward.logits, TRAIN_OUTPUTS.logits);

  // torch.optim.SGD: d = ∇ + wd·w; buf = μ·buf + d; w ← w − lr·(d + μ·buf) (Nesterov) or w − lr·buf.
  const muT = g.scalar(mu);
  const wdT = g.scalar(weightDecay);
  const newWeights: Tensor[] = [];
  const newBuffers: Tensor[] = [];
  trainable.forEach((name, i) => {
    const w = weights.get(name)!;
    // A parameter off every path to the loss has a zero gradient, as PyTorch's would be after backward.
    const grad = grads.get(w.name) ?? zerosLike(g, w);
    const d = weightDecay === 0 || !decayed.has(name) ? grad : add(g, grad, mul(g, w, wdT));
    const buf = add(g, mul(g, buffers[i]!, muT), d);
    const step = nesterov ? add(g, d, mul(g, buf, muT)) : buf;
    newWeights.push(g.output(sub(g, w, mul(g, step, lr)), updatedName(name)));
    newBuffers.push(g.output(buf, updatedName(momentumName(name))));
  });
  const newStats = forward.bnStats.flatMap((s) => [
    g.output(runningStatUpdate(g, weights.get(s.mean)!, s.batchMean, BN_MOMENTUM), updatedName(s.mean)),
    g.output(runningStatUpdate(g, weights.get(s.variance)!, s.batchVar, BN_MOMENTUM), updatedName(s.variance)),
  ]);

  const stateInputs = [...trainable, ...buffers.map((b) => b.name), ...running];
  const io: TrainStepIO = {
    inputs: ioSpecs(g.inputs),
    outputs: ioSpecs(g.outputs),
    params: trainable,
    runningStats: running,
    momentum: buffers.map((b) => b.name),
    state: stateInputs.map((input) => ({ input, output: updatedName(input) })),
  };
  if (newWeights.length + newBuffers.length + newStats.length !== stateInputs.length) {
    throw new Error('every state input needs exactly one updated output');
  }
  const model = toModelBytes(g, {
    kind: 'train-step',
    preset,
    numClasses: String(numClasses),
    batch: String(batch),
    lambda: String(lambda),
    layers: layers.join(','),
  });
  return { model, io };
}
