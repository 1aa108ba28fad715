/**
 * The forward pass of every preset, emitted through the tape so the same code serves training (train-mode
 * BatchNorm, gradients), evaluation and explanation (eval-mode BatchNorm, gradients at stage outputs).
 */
import { BatchNormEval, BatchNormTrain } from '../autodiff/ops/batchNorm';
import { Conv2d } from '../autodiff/ops/conv';
import { Add, Relu } from '../autodiff/ops/elementwise';
import { Linear } from '../autodiff/ops/linear';
import { GlobalAvgPool, MaxPool2d } from '../autodiff/ops/pool';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { sameShape } from '../onnx/graph';
import { buildFaceApiForward, isFaceApiModel } from './faceApiExpression';
import type { ConvBn } from './layout';
import { modelLayout } from './layout';
import type { ModelName } from './presets';

/** PyTorch BatchNorm2d's default ε. */
export const BN_EPSILON = 1e-5;

export interface ModelConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
}

export interface BatchStats {
  /** Name of the running-mean parameter this statistic updates. */
  readonly mean: string;
  /** Name of the running-variance parameter. */
  readonly variance: string;
  /** (C) batch mean. */
  readonly batchMean: Tensor;
  /** (C) unbiased batch variance (what PyTorch blends into running_var). */
  readonly batchVar: Tensor;
}

export interface Forward {
  /** (N, numClasses) */
  readonly logits: Tensor;
  /** Every attention-capable layer ('stem', 'stage1'…) → its post-ReLU output (N, C, H, W). */
  readonly stages: Map<string, Tensor>;
  /** Train mode only (empty in eval mode): one entry per BatchNorm, in state_dict order. */
  readonly bnStats: BatchStats[];
}

/** The forward of any model of MODEL_NAMES; face-api's network has no BatchNorm, so its two modes are one graph. */
export function buildForward(tape: Tape, config: ModelConfig, image: Tensor, params: ReadonlyMap<string, Tensor>, mode: 'train' | 'eval'): Forward {
  if (isFaceApiModel(config.preset)) return buildFaceApiForward(tape, image, params);
  const layout = modelLayout(config.preset, config.numClasses);
  const size = layout.preset.inputSize;
  if (!sameShape(image.shape.slice(1), [3, size, size])) {
    throw new RangeError(`preset ${config.preset} needs images (N, 3, ${size}, ${size}), got [${image.shape.join(', ')}]`);
  }
  const param = (name: string): Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  const bnStats: BatchStats[] = [];

  const convBn = (x: Tensor, u: ConvBn): Tensor => {
    const y = tape.apply1(Conv2d, [x, param(`${u.conv}.weight`)], { strides: [u.stride, u.stride], pads: [u.pad, u.pad, u.pad, u.pad], group: 1 });
    const affine = [y, param(`${u.bn}.weight`), param(`${u.bn}.bias`)];
    if (mode === 'eval') {
      return tape.apply1(BatchNormEval, [...affine, param(`${u.bn}.running_mean`), param(`${u.bn}.running_var`)], { epsilon: BN_EPSILON });
    }
    const [out, batchMean, batchVar] = tape.apply(BatchNormTrain, affine, { epsilon: BN_EPSILON });
    bnStats.push({ mean: `${u.bn}.running_mean`, variance: `${u.bn}.running_var`, batchMean: batchMean!, batchVar: batchVar! });
    return out!;
  };
  const relu = (x: Tensor): Tensor => tape.apply1(Relu, [x], undefined);

  let x = relu(convBn(image, layout.stem));
  if (layout.stemPool) x = tape.apply1(MaxPool2d, [x], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const stages = new Map<string, Tensor>([['stem', x]]);
  for (const stage of layout.stages) {
    for (const block of stage.blocks) {
      // torchvision order: the shortcut is computed from the block input; ReLU after every main conv-BN but the last.
      const shortcut = block.downsample ? convBn(x, block.downsample) : x;
      let y = x;
      block.main.forEach((u, i) => {
        y = convBn(y, u);
        if (i < block.main.length - 1) y = relu(y);
      });
      x = relu(tape.apply1(Add, [y, shortcut], undefined));
    }
    stages.set(stage.name, x);
  }
  const pooled = tape.apply1(GlobalAvgPool, [x], undefined);
  const logits = tape.apply1(Linear, [pooled, param(`${layout.fc.name}.weight`), param(`${layout.fc.name}.bias`)], undefined);
  return { logits, stages, bnStats };
}
