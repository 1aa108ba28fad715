/**
 * 2-D convolution without bias: every conv in our models is followed by BatchNorm, as in torchvision's ResNets.
 * The rules were chosen by timing alternatives on ONNX Runtime's CPU provider (1 thread):
 * - The forward, and dX at stride 1, run in ORT's blocked NCHWc layout where the channels allow and the weight is
 *   not a constant (onnx/nchwc.ts: 7–45 % faster per layer). A constant weight stays a plain Conv, which ORT
 *   folds with the following BatchNorm and blocks itself.
 * - dX at stride 1 is a Conv of dY with the flipped, transposed weight (13–35 % faster than ConvTranspose on
 *   the small96/tiny64 layers); at other strides it is ConvTranspose, whose output_padding recovers sizes that
 *   the forward's floor division lost. (One blocked stride-1 conv per stride phase followed by DepthToSpace was
 *   tried for the strided case: ORT's DepthToSpace alone cost more than the ConvTranspose it replaced.)
 * - dW (group 1) multiplies im2col windows of x (at stride 1 one cropping Pad each, 15 % faster than Pad + Slice)
 *   with dYᵀ and sums over the batch. With ≥ 16 input channels every kernel offset gets its own MatMul, which
 *   skips the Concat into one k²-times-larger im2col buffer: as fast or faster (256→256 at 24×24: 69 vs 92 ms)
 *   and far less memory (peak RSS 276 vs 601 MB for a 64→64, 48×48, batch-16 dW). RGB stems keep the single
 *   im2col MatMul, because per-offset matrices with 3 rows run at a third of the speed. From 128 input channels
 *   the batch joins the MatMul's inner dimension ((Cout, N·Ho·Wo) × (N·Ho·Wo, Cin) per offset, no per-sample
 *   products to sum): 11–15 % faster there, equal or slower on narrower layers. Strided windows come from a
 *   SpaceToDepth of x and stride-1 Slices, 1.7–2.9× faster than Slices with steps, which copy element by element.
 * - dW at stride 1 from 32 input channels needs no windows at all: offset (i, j) multiplies x shifted by kernel
 *   column j with dY shifted by kernel row i (`shiftedOperands`): kh + kw − 2 copies instead of kh·kw − 1 windows
 *   when the output keeps x's size (up to kh + kw otherwise), and the channel-major products keep a transpose ORT
 *   fuses into each MatMul. The channel-major path holds all kw column copies of x until its last kernel row.
 *   dW alone at 2 threads, batch 16, back to back: 256→256 at 24×24 55 → 40 ms, 128→256 31 → 22, 128→128
 *   22.5 → 14, 32→32 at 96×96 18.7 → 17.4; with 16 channels (tiny64's 64×64 stage) it was slower (9.7 → 10.7 ms),
 *   so that keeps windows.
 * - dW (depthwise, group = Cin = Cout) is, per kernel offset, Σ over N, H, W of dY · the shifted x.
 */
import type { Graph, Tensor } from '../../onnx/graph';
import { blockedConv, canBlock } from '../../onnx/nchwc';
import type { Conv2dOptions } from '../../onnx/ops';
import {
  add,
  concat,
  conv,
  convTranspose,
  matmul,
  mul,
  pad,
  reduceSum,
  reshape,
  slice,
  spaceToDepth,
  transpose,
} from '../../onnx/ops';
import type { DiffOp } from '../tape';

export interface Conv2dParams {
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right] */
  readonly pads: readonly [number, number, number, number];
  readonly group: number;
}

/** Below this many input channels, the per-offset dW MatMuls are too thin to be fast (see the header). */
const PER_OFFSET_MIN_CHANNELS = 16;
/** From this many input channels, stride-1 dW multiplies shifted operands instead of windows (see shiftedOperands). */
const SHIFTED_MIN_CHANNELS = 32;
/** From this many input channels, dW folds the batch into the MatMuls' inner dimension (see the header). */
const BATCH_IN_K_MIN_CHANNELS = 128;

type Shape4 = readonly [number, number, number, number];

function checkShapes(x: Tensor, w: Tensor, p: Conv2dParams): void {
  if (x.shape.length !== 4 || w.shape.length !== 4) {
    throw new RangeError(`Conv2d needs x (N,Cin,H,W) and w (Cout,Cin/group,kh,kw), got [${x.shape}] and [${w.shape}]`);
  }
  const [, cin] = x.shape as Shape4;
  const [cout, cinPerGroup] = w.shape as Shape4;
  if (cin !== cinPerGroup * p.group || cout % p.group !== 0) {
    throw new RangeError(`Conv2d: x has ${cin} channels and w is [${w.shape}], which does not fit group=${p.group}`);
  }
}

function isDepthwise(x: Tensor, w: Tensor, group: number): boolean {
  return group === x.shape[1] && group === w.shape[0];
}

/**
 * x (A, B, kh, kw) with both kernel axes reversed, i.e. the flattened kh·kw index reversed, as a small MatMul with
 * the exchange matrix: ORT's Slice with steps −1 copies element by element (1.2 ms for a 256×256×3×3 kernel, every
 * step). Exact for finite weights: each entry is one product by 1 plus products by 0.
 */
function flippedKernel(g: Graph, x: Tensor): Tensor {
  const [a, b, kh, kw] = x.shape as Shape4;
  const k = kh * kw;
  const exchange = new Float32Array(k * k);
  for (let i = 0; i < k; i++) exchange[i * k + (k - 1 - i)] = 1;
  return reshape(g, matmul(g, reshape(g, x, [a * b, k]), g.constant(exchange, [k, k])), x.shape);
}

/** The weight of the stride-1 convolution that maps dY to dX: per group, channels swapped, kernel flipped. */
function adjointWeight(g: Graph, w: Tensor, group: number): Tensor {
  const [cout, cinPerGroup, kh, kw] = w.shape as Shape4;
  const coutPerGroup = cout / group;
  let swapped = w;
  if (cinPerGroup !== 1 || coutPerGroup !== 1) {
    swapped =
      group === 1
        ? transpose(g, w, [1, 0, 2, 3])
        : reshape(g, transpose(g, reshape(g, w, [group, coutPerGroup, cinPerGroup, kh, kw]), [0, 2, 1, 3, 4]), [
            group * cinPerGroup,
            coutPerGroup,
            kh,
            kw,
          ]);
  }
  return kh === 1 && kw === 1 ? swapped : flippedKernel(g, swapped);
}

/** A conv without bias: blocked where it can be and where ORT would not block it itself (see the header). */
function convolve(g: Graph, x: Tensor, w: Tensor, o: Conv2dOptions): Tensor {
  return canBlock(x, w, o.group ?? 1) && !g.isConstant(w) ? blockedConv(g, x, w, o) : conv(g, x, w, undefined, o);
}

function inputGrad(g: Graph, dy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  const [, , kh, kw] = w.shape as Shape4;
  const [t, l, b, r] = p.pads;
  // At stride 1 the forward used every padded row and column, so the "full" convolution with pads k−1−p
  // returns exactly x's size; larger pads than k−1 would need negative pads and take the general route.
  if (p.strides[0] === 1 && p.strides[1] === 1 && Math.max(t, b) < kh && Math.max(l, r) < kw) {
    return convolve(g, dy, adjointWeight(g, w, p.group), {
      pads: [kh - 1 - t, kw - 1 - l, kh - 1 - b, kw - 1 - r],
      group: p.group,
    });
  }
  return convTranspose(g, dy, w, xShape, p);
}

/**
 * The windows of padded x that each kernel tap multiplies: window(i, j) is the (N, C, Ho, Wo) strided view for
 * offset (i, j), taken over axes 2 and 3 (so x may also be (C, N, H, W)). Windows are made on demand so that each
 * is consumed before the next is made. With strides and a kernel wider than 1, x is first split into its stride
 * phases by SpaceToDepth, and each window is a stride-1 Slice of one phase (on the CPU; SpaceToDepth measured 2–3×
 * faster there than the Reshape + Transpose that WebGPU would need, which takes strided Slices instead).
 */
function windowsOf(
  g: Graph,
  x: Tensor,
  out: readonly [number, number],
  kernel: readonly [number, number],
  p: Conv2dParams,
): (i: number, j: number) => Tensor {
  const [sh, sw] = p.strides;
  const [t, l, b, r] = p.pads;
  // WebGPU has no SpaceToDepth (ORT would run it on the CPU, copying x there and back): strided Slices instead.
  if (sh === sw && sh > 1 && kernel[0] * kernel[1] > 1 && g.device !== 'webgpu') {
    const s = sh;
    // Pad up to whole phases; the extra rows and columns lie past every window.
    const [hp, wp] = [x.shape[2]! + t + b, x.shape[3]! + l + r];
    const xp = pad(g, x, [0, 0, t, l, 0, 0, b + ((s - (hp % s)) % s), r + ((s - (wp % s)) % s)]);
    const c = x.shape[1]!;
    // SpaceToDepth's channel (phase_row·s + phase_col)·C + c holds xp[…, s·y + phase_row, s·x + phase_col].
    const phases = spaceToDepth(g, xp, s);
    return (i, j) => {
      const phase = (i % s) * s + (j % s);
      const [y0, x0] = [Math.floor(i / s), Math.floor(j / s)];
      return slice(g, phases, [phase * c, y0, x0], [(phase + 1) * c, y0 + out[0], x0 + out[1]], [1, 2, 3]);
    };
  }
  if (sh === 1 && sw === 1) {
    // One Pad per window, cropping with negative pads (ONNX Pad since opset 2): no padded copy of x and no Slice,
    // 15 % faster; the window whose pads are all zero is x itself.
    return (i, j) => {
      const pads = [0, 0, t - i, l - j, 0, 0, i - t + out[0] - x.shape[2]!, j - l + out[1] - x.shape[3]!];
      return pads.every((v) => v === 0) ? x : pad(g, x, pads);
    };
  }
  const xp = t || l || b || r ? pad(g, x, [0, 0, t, l, 0, 0, b, r]) : x;
  return (i, j) => slice(g, xp, [i, j], [i + sh * (out[0] - 1) + 1, j + sw * (out[1] - 1) + 1], [2, 3], [sh, sw]);
}

/** Kernel offsets in row-major order, the order of w's last two axes. */
function offsets(kh: number, kw: number): [number, number][] {
  return Array.from({ length: kh * kw }, (_, k) => [Math.floor(k / kw), k % kw]);
}

/**
 * dW over the batch in chunks of about CHUNK_BYTES of x, summed, for layers where one image's x outgrows a core's
 * L2 cache (1 MB here): a chunk's windows and dY stay in the caches while its nine offsets read them, where the
 * whole batch streamed from memory once per offset. Measured on small96's 32→32 layer at 96×96 (1.2 MB an image,
 * batch 16): dW 33 → 25 ms CPU at 1 thread; the whole small96 step 12.4–12.7 → 12.9–13.0 img/s at 1 thread and
 * 20.6–21.0 → 20.8–21.2 at 2 (au-lens bench train, alternated, quiet machine). Chunking the
 * smaller layers too gained a little on the dW alone but cost 2–4 % of tiny64's step at 2 threads (smaller
 * MatMuls to share between the threads, and the batch split), so they keep the whole batch.
 */
const CHUNK_BYTES = 2.5e6;
const CHUNKED_IMAGE_BYTES = 1e6;

function weightGrad(g: Graph, x: Tensor, dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [n, cin, h, wd] = x.shape as Shape4;
  const imageBytes = cin * h * wd * 4;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / imageBytes));
  if (imageBytes < CHUNKED_IMAGE_BYTES || perChunk >= n) return batchWeightGrad(g, x, dy, w, p);
  const parts: Tensor[] = [];
  for (let b = 0; b < n; b += perChunk) {
    const end = Math.min(n, b + perChunk);
    parts.push(batchWeightGrad(g, slice(g, x, [b], [end], [0]), slice(g, dy, [b], [end], [0]), w, p));
  }
  return parts.reduce((sum, part) => add(g, sum, part));
}

/**
 * The two operands of each kernel offset's product at stride 1, made once per kernel row and once per kernel
 * column instead of once per offset: Σ_{h,w} dY[h, w]·x[h + di, w + dj] = Σ_{h'} dY[h' − di, w]·x[h', w + dj]
 * (di = i − top pad, dj = j − left pad), so offset (i, j) multiplies x shifted by column j (`column(j)`, H × Wo)
 * with dY shifted by row i (`row(i)`, also H × Wo, zero where h' − di falls outside dY). A row shift of the
 * flattened dY is one contiguous copy.
 */
interface ShiftedOperands {
  readonly column: (j: number) => Tensor;
  readonly row: (i: number) => Tensor;
}

/**
 * `x` is (A, B, H, W) and `dy` (…, Ho·Wo) with its spatial axis at `dyAxis`; columns crop or zero-extend x's
 * last axis to Wo, rows move dY's flat spatial axis by whole rows of Wo and extend it to H·Wo.
 */
function shiftedOperands(
  g: Graph,
  x: Tensor,
  dy: Tensor,
  dyAxis: number,
  out: readonly [number, number],
  p: Conv2dParams,
): ShiftedOperands {
  const [t, l] = p.pads;
  const [h, wd] = [x.shape[2]!, x.shape[3]!];
  const [ho, wo] = out;
  const columns = new Map<number, Tensor>();
  const rows = new Map<number, Tensor>();
  const memo = (cache: Map<number, Tensor>, k: number, make: () => Tensor): Tensor => {
    const hit = cache.get(k) ?? make();
    cache.set(k, hit);
    return hit;
  };
  return {
    column: (j) =>
      memo(columns, j, () => {
        const [left, right] = [l - j, j - l + wo - wd];
        return left === 0 && right === 0 ? x : pad(g, x, [0, 0, 0, left, 0, 0, 0, right]);
      }),
    row: (i) =>
      memo(rows, i, () => {
        const di = i - t;
        const before = di * wo;
        const after = (h - ho - di) * wo;
        if (before === 0 && after === 0) return dy;
        const pads = new Array<number>(2 * dy.shape.length).fill(0);
        pads[dyAxis] = before;
        pads[dy.shape.length + dyAxis] = after;
        return pad(g, dy, pads);
      }),
  };
}

function batchWeightGrad(g: Graph, x: Tensor, dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [n, cin, h] = x.shape as Shape4;
  const [cout, , kh, kw] = w.shape as Shape4;
  const [, , ho, wo] = dy.shape as Shape4;
  const all = offsets(kh, kw);
  const stride1 = p.strides[0] === 1 && p.strides[1] === 1;
  if (cin >= BATCH_IN_K_MIN_CHANNELS) {
    // Per offset (Cout, N·Ho·Wo) × (N·Ho·Wo, Cin): windows of the channel-major x, dY channel-major too. Stacked
    // (k², Cout·Cin), one 2-D transpose gives w's layout (a 4-D Transpose of the (k, k, Cin, Cout) stack cost 3 ms
    // on a 256×256 kernel).
    const xc = transpose(g, x, [1, 0, 2, 3]);
    const dyc = transpose(g, dy, [1, 0, 2, 3]);
    let product: (i: number, j: number) => Tensor;
    if (stride1) {
      const shifted = shiftedOperands(g, xc, reshape(g, dyc, [cout, n, ho * wo]), 2, [ho, wo], p);
      // A transpose per product, not one per column shared by its kh products: ORT fuses each into its MatMul (transB).
      product = (i, j) =>
        matmul(
          g,
          reshape(g, shifted.row(i), [cout, n * h * wo]),
          transpose(g, reshape(g, shifted.column(j), [cin, n * h * wo]), [1, 0]),
        );
    } else {
      const window = windowsOf(g, xc, [ho, wo], [kh, kw], p);
      const dyRows = reshape(g, dyc, [cout, n * ho * wo]);
      product = (i, j) => matmul(g, dyRows, transpose(g, reshape(g, window(i, j), [cin, n * ho * wo]), [1, 0]));
    }
    const parts = all.map(([i, j]) => product(i, j));
    const stacked = reshape(g, parts.length === 1 ? parts[0]! : concat(g, parts, 0), [all.length, cout * cin]);
    return reshape(g, transpose(g, stacked, [1, 0]), w.shape);
  }
  const dyT = transpose(g, reshape(g, dy, [n, cout, ho * wo]), [0, 2, 1]);
  // Multiplying windows by dYᵀ (rather than dY by windowsᵀ) transposes the smaller operand; it measured 15 %
  // faster than com.microsoft FusedMatMul(dY, im2col, transB) on a 64→64, 48×48, batch-16 layer.
  const parts: Tensor[] = [];
  if (stride1 && cin >= SHIFTED_MIN_CHANNELS) {
    const shifted = shiftedOperands(g, x, dyT, 1, [ho, wo], p);
    for (const [i, j] of all) parts.push(matmul(g, reshape(g, shifted.column(j), [n, cin, h * wo]), shifted.row(i)));
  } else {
    const window = windowsOf(g, x, [ho, wo], [kh, kw], p);
    const perMatMul = cin >= PER_OFFSET_MIN_CHANNELS ? 1 : all.length;
    for (let k = 0; k < all.length; k += perMatMul) {
      const chunk = all.slice(k, k + perMatMul).map(([i, j]) => window(i, j));
      const cols = reshape(g, chunk.length === 1 ? chunk[0]! : concat(g, chunk, 1), [n, chunk.length * cin, ho * wo]);
      parts.push(matmul(g, cols, dyT));
    }
  }
  // (k²·Cin, Cout), offset-major, summed over the batch.
  const summed = reduceSum(g, parts.length === 1 ? parts[0]! : concat(g, parts, 1), [0], false);
  return transpose(g, reshape(g, summed, [kh, kw, cin, cout]), [3, 2, 0, 1]);
}

function depthwiseWeightGrad(g: Graph, x: Tensor, dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [c, , kh, kw] = w.shape as Shape4;
  const [, , ho, wo] = dy.shape as Shape4;
  const window = windowsOf(g, x, [ho, wo], [kh, kw], p);
  const taps = offsets(kh, kw).map(([i, j]) => reshape(g, reduceSum(g, mul(g, window(i, j), dy), [0, 2, 3]), [c, 1]));
  return reshape(g, taps.length === 1 ? taps[0]! : concat(g, taps, 1), [c, 1, kh, kw]);
}

/** y = conv(x, w); inputs x (N, Cin, H, W) and w (Cout, Cin/group, kh, kw), PyTorch's and ONNX's layout. */
export const Conv2d: DiffOp<Conv2dParams> = {
  name: 'Conv2d',
  forward: (g, [x, w], p) => {
    checkShapes(x!, w!, p);
    return { outputs: [convolve(g, x!, w!, p)], saved: undefined };
  },
  backward: (g, { inputs: [x, w], params: p }, [dy], needed) => {
    let dw: Tensor | undefined;
    if (needed[1]) {
      if (p.group === 1) dw = weightGrad(g, x!, dy!, w!, p);
      else if (isDepthwise(x!, w!, p.group)) dw = depthwiseWeightGrad(g, x!, dy!, w!, p);
      else {
        throw new Error(
          `Conv2d: no weight gradient for group=${p.group} with ${x!.shape[1]} input and ${w!.shape[0]} output ` +
            `channels; only group=1 and depthwise (group = Cin = Cout) are supported`,
        );
      }
    }
    return [needed[0] ? inputGrad(g, dy!, w!, x!.shape, p) : undefined, dw];
  },
};
