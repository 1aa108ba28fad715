/**
 * 2-D convolution without bias: every conv in our models is followed by BatchNorm, as in torchvision's ResNets.
 * The backward rules were chosen by timing alternatives on ONNX Runtime's CPU provider (1 thread):
 * - dX at stride 1 is a Conv of dY with the flipped, transposed weight (13–35 % faster than ConvTranspose on
 *   the small96/tiny64 layers); at other strides it is ConvTranspose, whose output_padding recovers sizes that
 *   the forward's floor division lost.
 * - dW (group 1) multiplies im2col windows of x (Pad, strided Slices) with dYᵀ per sample and sums over the
 *   batch. With ≥ 16 input channels every kernel offset gets its own MatMul, which skips the Concat into one
 *   k²-times-larger im2col buffer: as fast or faster (256→256 at 24×24: 69 vs 92 ms) and far less memory (peak
 *   RSS 276 vs 601 MB for a 64→64, 48×48, batch-16 dW). RGB stems keep the single im2col MatMul, because
 *   per-offset matrices with 3 rows run at a third of the speed.
 * - dW (depthwise, group = Cin = Cout) is, per kernel offset, Σ over N, H, W of dY · the shifted x.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { concat, conv, convTranspose, matmul, mul, pad, reduceSum, reshape, slice, transpose } from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface Conv2dParams {
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right] */
  readonly pads: readonly [number, number, number, number];
  readonly group: number;
}

/** Below this many input channels, the per-offset dW MatMuls are too thin to be fast (see the header). */
const PER_OFFSET_MIN_CHANNELS = 16;

type Shape4 = readonly [number, number, number, number];

function checkShapes(x: Tensor, w: Tensor, p: Conv2dParams): void {
  if (x.shape.length !== 4 || w.shape.length !== 4) throw new RangeError(`Conv2d needs x (N,Cin,H,W) and w (Cout,Cin/group,kh,kw), got [${x.shape}] and [${w.shape}]`);
  const [, cin] = x.shape as Shape4;
  const [cout, cinPerGroup] = w.shape as Shape4;
  if (cin !== cinPerGroup * p.group || cout % p.group !== 0) {
    throw new RangeError(`Conv2d: x has ${cin} channels and w is [${w.shape}], which does not fit group=${p.group}`);
  }
}

function isDepthwise(x: Tensor, w: Tensor, group: number): boolean {
  return group === x.shape[1] && group === w.shape[0];
}

/** x reversed along the given axes (a Slice with step −1; ops.slice handles positive steps only). */
function reversed(g: Graph, x: Tensor, axes: readonly number[]): Tensor {
  // An end of −(dim + 1) is clamped to "before index 0", so the whole axis is kept.
  const ends = axes.map((a) => -x.shape[a]! - 1);
  return g.node('Slice', [x, g.ints(axes.map(() => -1)), g.ints(ends), g.ints(axes), g.ints(axes.map(() => -1))], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

/** The weight of the stride-1 convolution that maps dY to dX: per group, channels swapped, kernel flipped. */
function adjointWeight(g: Graph, w: Tensor, group: number): Tensor {
  const [cout, cinPerGroup, kh, kw] = w.shape as Shape4;
  const coutPerGroup = cout / group;
  let swapped = w;
  if (cinPerGroup !== 1 || coutPerGroup !== 1) {
    swapped = group === 1
      ? transpose(g, w, [1, 0, 2, 3])
      : reshape(g, transpose(g, reshape(g, w, [group, coutPerGroup, cinPerGroup, kh, kw]), [0, 2, 1, 3, 4]), [group * cinPerGroup, coutPerGroup, kh, kw]);
  }
  return kh === 1 && kw === 1 ? swapped : reversed(g, swapped, [2, 3]);
}

function inputGrad(g: Graph, dy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  const [, , kh, kw] = w.shape as Shape4;
  const [t, l, b, r] = p.pads;
  // At stride 1 the forward used every padded row and column, so the "full" convolution with pads k−1−p
  // returns exactly x's size; larger pads than k−1 would need negative pads and take the general route.
  if (p.strides[0] === 1 && p.strides[1] === 1 && Math.max(t, b) < kh && Math.max(l, r) < kw) {
    return conv(g, dy, adjointWeight(g, w, p.group), undefined, { pads: [kh - 1 - t, kw - 1 - l, kh - 1 - b, kw - 1 - r], group: p.group });
  }
  return convTranspose(g, dy, w, xShape, p);
}

/**
 * The windows of padded x that each kernel tap multiplies: window(i, j) is the (N, C, Ho, Wo) strided view for
 * offset (i, j). Windows are made on demand so that each is consumed before the next is sliced.
 */
function windowsOf(g: Graph, x: Tensor, out: readonly [number, number], p: Conv2dParams): (i: number, j: number) => Tensor {
  const [t, l, b, r] = p.pads;
  const xp = t || l || b || r ? pad(g, x, [0, 0, t, l, 0, 0, b, r]) : x;
  const [sh, sw] = p.strides;
  return (i, j) => {
    const ends = [i + sh * (out[0] - 1) + 1, j + sw * (out[1] - 1) + 1];
    const whole = i === 0 && j === 0 && sh === 1 && sw === 1 && ends[0] === xp.shape[2] && ends[1] === xp.shape[3];
    return whole ? xp : slice(g, xp, [i, j], ends, [2, 3], [sh, sw]);
  };
}

/** Kernel offsets in row-major order, the order of w's last two axes. */
function offsets(kh: number, kw: number): [number, number][] {
  return Array.from({ length: kh * kw }, (_, k) => [Math.floor(k / kw), k % kw]);
}

function weightGrad(g: Graph, x: Tensor, dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [n, cin] = x.shape as Shape4;
  const [cout, , kh, kw] = w.shape as Shape4;
  const [, , ho, wo] = dy.shape as Shape4;
  const dyT = transpose(g, reshape(g, dy, [n, cout, ho * wo]), [0, 2, 1]);
  const window = windowsOf(g, x, [ho, wo], p);
  // Multiplying windows by dYᵀ (rather than dY by windowsᵀ) transposes the smaller operand; it measured 15 %
  // faster than com.microsoft FusedMatMul(dY, im2col, transB) on a 64→64, 48×48, batch-16 layer.
  const all = offsets(kh, kw);
  const perMatMul = cin >= PER_OFFSET_MIN_CHANNELS ? 1 : all.length;
  const parts: Tensor[] = [];
  for (let k = 0; k < all.length; k += perMatMul) {
    const chunk = all.slice(k, k + perMatMul).map(([i, j]) => window(i, j));
    const cols = reshape(g, chunk.length === 1 ? chunk[0]! : concat(g, chunk, 1), [n, chunk.length * cin, ho * wo]);
    parts.push(matmul(g, cols, dyT));
  }
  // (k²·Cin, Cout), offset-major, summed over the batch.
  const summed = reduceSum(g, parts.length === 1 ? parts[0]! : concat(g, parts, 1), [0], false);
  return transpose(g, reshape(g, summed, [kh, kw, cin, cout]), [3, 2, 0, 1]);
}

function depthwiseWeightGrad(g: Graph, x: Tensor, dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [c, , kh, kw] = w.shape as Shape4;
  const [, , ho, wo] = dy.shape as Shape4;
  const window = windowsOf(g, x, [ho, wo], p);
  const taps = offsets(kh, kw).map(([i, j]) => reshape(g, reduceSum(g, mul(g, window(i, j), dy), [0, 2, 3]), [c, 1]));
  return reshape(g, taps.length === 1 ? taps[0]! : concat(g, taps, 1), [c, 1, kh, kw]);
}

/** y = conv(x, w); inputs x (N, Cin, H, W) and w (Cout, Cin/group, kh, kw), PyTorch's and ONNX's layout. */
export const Conv2d: DiffOp<Conv2dParams> = {
  name: 'Conv2d',
  forward: (g, [x, w], p) => {
    checkShapes(x!, w!, p);
    return { outputs: [conv(g, x!, w!, undefined, p)], saved: undefined };
  },
  backward: (g, { inputs: [x, w], params: p }, [dy], needed) => {
    let dw: Tensor | undefined;
    if (needed[1]) {
      if (p.group === 1) dw = weightGrad(g, x!, dy!, w!, p);
      else if (isDepthwise(x!, w!, p.group)) dw = depthwiseWeightGrad(g, x!, dy!, w!, p);
      else {
        throw new Error(`Conv2d: no weight gradient for group=${p.group} with ${x!.shape[1]} input and ${w!.shape[0]} output channels; only group=1 and depthwise (group = Cin = Cout) are supported`);
      }
    }
    return [needed[0] ? inputGrad(g, dy!, w!, x!.shape, p) : undefined, dw];
  },
};
