/**
 * face-api's facial-expression network (`faceExpressionNet` of @vladmandic/face-api, MIT, described in
 * faceApiInfo.ts) as an AU Lens model, built from our differentiable ops so it can be explained and fine-tuned
 * like the ResNet presets. Its source
 * (node_modules/@vladmandic/face-api/src/faceFeatureExtractor/FaceFeatureExtractor.ts, denseBlock.ts,
 * common/depthwiseSeparableConv.ts, faceProcessor/FaceProcessor.ts) defines, for a 112×112 RGB input:
 *
 * - input: (x − [122.782, 117.001, 104.298]) / 255 on 0–255 RGB (FACEAPI_NORMALISATION), of the landmarks' box
 *   grown by 20 % and black-padded to a square (alignedRect, extractFaceTensors, NetInput.toBatchTensor's
 *   padToSquare): crop 'faceapi' (data/faceApiCrop.ts);
 * - four `denseBlock4`s (dense0…dense3, 32, 64, 128, 256 channels, each halving the side: 56, 28, 14, 7):
 *     out1 = relu(conv0(x, stride 2))            dense0: a plain 3×3 conv + bias; others: separable
 *     out2 = sep1(out1)
 *     out3 = sep2(relu(out1 + out2))
 *     out4 = sep3(relu(out1 + (out2 + out3)))
 *     y    = relu(out1 + (out2 + (out3 + out4)))
 *   where sep = depthwise 3×3 → pointwise 1×1 → + bias (tf.separableConv2d), all with TF 'same' padding, which
 *   pads a stride-2 3×3 conv of an even side by 0 before and 1 after (not PyTorch's symmetric 1);
 * - avgPool 7×7 stride 2 'valid' of the 7×7 dense3 output, i.e. a global average pool, then fc (x·W + b, W 256×7).
 * No BatchNorm: the shipped weights have it folded into the conv biases.
 *
 * Every block output is an attention layer (dense0…dense3); dense3 feeds the linear head, so CAM is exact.
 */
import { ChannelBias } from '../autodiff/ops/bias';
import { Conv2d } from '../autodiff/ops/conv';
import { Add, Relu } from '../autodiff/ops/elementwise';
import { Linear } from '../autodiff/ops/linear';
import { GlobalAvgPool } from '../autodiff/ops/pool';
import type { Tape } from '../autodiff/tape';
import type { Tensor } from '../onnx/graph';
import { sameShape } from '../onnx/graph';
import type { FaceApiConv } from './faceApiInfo';
import {
  biasName, depthwiseName, FACEAPI_HEAD, FACEAPI_INPUT_SIZE, FACEAPI_KERNEL, FACEAPI_WIDTHS, faceApiBlocks, plainName,
  pointwiseName,
} from './faceApiInfo';
import { FACEAPI_EXPRESSION } from './modelNames';
import type { Forward, ParamInit, ParamSpec } from './types';
import { stagesOf } from './types';

/** He-normal (fan_out) as the ResNets', for a head re-created or weights drawn where no file gives them. */
const heNormal = (cout: number, k: number): ParamInit => ({ kind: 'normal', std: Math.sqrt(2 / (cout * k * k)) });

/** Parameters in network order, in ONNX/PyTorch layouts (conv weights (Cout, Cin/group, kh, kw); fc (out, in)). */
export function faceApiParamSpecs(numClasses: number): ParamSpec[] {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new RangeError(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  const specs: ParamSpec[] = [];
  for (const block of faceApiBlocks()) {
    for (const conv of block.convs) {
      const k = FACEAPI_KERNEL;
      if (conv.kind === 'plain') {
        const shape = [conv.cout, conv.cin, k, k];
        specs.push({ name: plainName(conv), shape, role: 'conv', init: heNormal(conv.cout, k) });
      }
      else {
        const depthwise = [conv.cin, 1, k, k];
        specs.push({ name: depthwiseName(conv), shape: depthwise, role: 'conv', init: heNormal(conv.cin, k) });
        const pointwise = [conv.cout, conv.cin, 1, 1];
        specs.push({ name: pointwiseName(conv), shape: pointwise, role: 'conv', init: heNormal(conv.cout, 1) });
      }
      specs.push({ name: biasName(conv), shape: [conv.cout], role: 'conv_bias', init: { kind: 'zeros' } });
    }
  }
  const features = FACEAPI_WIDTHS[FACEAPI_WIDTHS.length - 1]!;
  const head: ParamInit = { kind: 'uniform', bound: 1 / Math.sqrt(features) };
  specs.push({ name: `${FACEAPI_HEAD}.weight`, shape: [numClasses, features], role: 'fc_weight', init: head });
  specs.push({ name: `${FACEAPI_HEAD}.bias`, shape: [numClasses], role: 'fc_bias', init: head });
  return specs;
}

/** TF 'same' padding [top, left, bottom, right] of a k×k conv: the odd pixel goes after, as TensorFlow does. */
export function samePads(size: number, kernel: number, stride: number): [number, number, number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, before, total - before, total - before];
}

/** The eval forward (the network has no BatchNorm, so train and eval modes are the same graph). */
export function buildFaceApiForward(tape: Tape, image: Tensor, params: ReadonlyMap<string, Tensor>): Forward {
  if (!sameShape(image.shape.slice(1), [3, FACEAPI_INPUT_SIZE, FACEAPI_INPUT_SIZE])) {
    const size = FACEAPI_INPUT_SIZE;
    throw new RangeError(
      `${FACEAPI_EXPRESSION} needs images (N, 3, ${size}, ${size}), got [${image.shape.join(', ')}]`,
    );
  }
  const param = (name: string): Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`missing parameter "${name}"`);
    return t;
  };
  const relu = (x: Tensor): Tensor => tape.apply1(Relu, [x], undefined);
  const plus = (a: Tensor, b: Tensor): Tensor => tape.apply1(Add, [a, b], undefined);
  const conv = (x: Tensor, w: Tensor, stride: number, group: number): Tensor => {
    const pads = samePads(x.shape[2]!, w.shape[2]!, stride);
    return tape.apply1(Conv2d, [x, w], { strides: [stride, stride], pads, group });
  };
  const convUnit = (x: Tensor, u: FaceApiConv): Tensor => {
    const y = u.kind === 'plain'
      ? conv(x, param(plainName(u)), u.stride, 1)
      // tf.separableConv2d: depthwise (channel multiplier 1) with the stride and 'same' padding, then a 1×1 'valid'.
      : conv(conv(x, param(depthwiseName(u)), u.stride, u.cin), param(pointwiseName(u)), 1, 1);
    return tape.apply1(ChannelBias, [y, param(biasName(u))], undefined);
  };

  const stages = new Map<string, Tensor>();
  let x = image;
  for (const block of faceApiBlocks()) {
    const [c0, c1, c2, c3] = block.convs as [FaceApiConv, FaceApiConv, FaceApiConv, FaceApiConv];
    // denseBlock4, with its additions in face-api's order.
    const out1 = relu(convUnit(x, c0));
    const out2 = convUnit(out1, c1);
    const out3 = convUnit(relu(plus(out1, out2)), c2);
    const out4 = convUnit(relu(plus(out1, plus(out2, out3))), c3);
    x = relu(plus(out1, plus(out2, plus(out3, out4))));
    stages.set(block.name, x);
  }
  const pooled = tape.apply1(GlobalAvgPool, [x], undefined);
  const head = [pooled, param(`${FACEAPI_HEAD}.weight`), param(`${FACEAPI_HEAD}.bias`)];
  const logits = tape.apply1(Linear, head, undefined);
  return { logits, ...stagesOf(stages), bnStats: [] };
}
