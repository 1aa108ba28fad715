/**
 * The ResNet presets as graphs: their parameters (PyTorch's state_dict names, from layout.ts) and their forward
 * pass, emitted through the tape so the same code serves training (train-mode BatchNorm, gradients), evaluation
 * and explanation (eval-mode BatchNorm, gradients at stage outputs).
 */
import { BatchNormEval, BatchNormTrain } from '../autodiff/ops/batchNorm';
import { Conv2d } from '../autodiff/ops/conv';
import { Add, Relu } from '../autodiff/ops/elementwise';
import { Linear } from '../autodiff/ops/linear';
import { GlobalAvgPool, MaxPool2d } from '../autodiff/ops/pool';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { sameShape } from '../onnx/graph';
import type { ConvBn } from './layout';
import { convBns, modelLayout } from './layout';
import type { BatchStats, Forward, ModelConfig, ParamInit, ParamSpec } from './types';
import { stagesOf } from './types';

/** PyTorch BatchNorm2d's default ε. */
export const BN_EPSILON = 1e-5;

/**
 * torchvision's ResNet initialisation: convs kaiming_normal_(mode='fan_out', nonlinearity='relu'), i.e.
 * N(0, 2 / (cout·k·k)); BatchNorm γ = 1, β = 0, running mean 0, running var 1; the Linear head keeps PyTorch's
 * default, U(±1/√in) for weight and bias (kaiming_uniform_ with a = √5).
 */
export function resnetParamSpecs(preset: string, numClasses: number): ParamSpec[] {
  const layout = modelLayout(preset, numClasses);
  const specs: ParamSpec[] = [];
  const ones: ParamInit = { kind: 'ones' };
  const zeros: ParamInit = { kind: 'zeros' };
  for (const u of convBns(layout)) {
    const std = Math.sqrt(2 / (u.cout * u.kernel * u.kernel));
    const shape = [u.cout, u.cin, u.kernel, u.kernel];
    specs.push({ name: `${u.conv}.weight`, shape, role: 'conv', init: { kind: 'normal', std } });
    specs.push({ name: `${u.bn}.weight`, shape: [u.cout], role: 'bn_weight', init: ones });
    specs.push({ name: `${u.bn}.bias`, shape: [u.cout], role: 'bn_bias', init: zeros });
    specs.push({ name: `${u.bn}.running_mean`, shape: [u.cout], role: 'bn_running_mean', init: zeros });
    specs.push({ name: `${u.bn}.running_var`, shape: [u.cout], role: 'bn_running_var', init: ones });
  }
  const { fc } = layout;
  const head: ParamInit = { kind: 'uniform', bound: 1 / Math.sqrt(fc.in) };
  specs.push({ name: `${fc.name}.weight`, shape: [fc.out, fc.in], role: 'fc_weight', init: head });
  specs.push({ name: `${fc.name}.bias`, shape: [fc.out], role: 'fc_bias', init: head });
  return specs;
}

/** The forward of a ResNet preset, in train mode (batch statistics, collected in bnStats) or eval mode. */
export function buildResNetForward(
  tape: Tape, config: ModelConfig, image: Tensor, params: ReadonlyMap<string, Tensor>, mode: 'train' | 'eval',
): Forward {
  const layout = modelLayout(config.preset, config.numClasses);
  const size = config.inputSize ?? layout.preset.inputSize;
  if (!sameShape(image.shape.slice(1), [3, size, size])) {
    throw new RangeError(
      `preset ${config.preset} needs images (N, 3, ${size}, ${size}), got [${image.shape.join(', ')}]`,
    );
  }
  const param = (name: string): Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  const bnStats: BatchStats[] = [];

  const convBn = (x: Tensor, u: ConvBn): Tensor => {
    const y = tape.apply1(Conv2d, [x, param(`${u.conv}.weight`)], {
      strides: [u.stride, u.stride],
      pads: [u.pad, u.pad, u.pad, u.pad],
      group: 1,
    });
    const affine = [y, param(`${u.bn}.weight`), param(`${u.bn}.bias`)];
    if (mode === 'eval') {
      return tape.apply1(BatchNormEval, [...affine, param(`${u.bn}.running_mean`), param(`${u.bn}.running_var`)], {
        epsilon: BN_EPSILON,
      });
    }
    const [out, batchMean, batchVar] = tape.apply(BatchNormTrain, affine, { epsilon: BN_EPSILON });
    bnStats.push({
      mean: `${u.bn}.running_mean`,
      variance: `${u.bn}.running_var`,
      batchMean: batchMean!,
      batchVar: batchVar!,
    });
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
  const logits = tape.apply1(
    Linear,
    [pooled, param(`${layout.fc.name}.weight`), param(`${layout.fc.name}.bias`)],
    undefined,
  );
  return { logits, ...stagesOf(stages), bnStats };
}
