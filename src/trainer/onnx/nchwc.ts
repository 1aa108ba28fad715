/**
 * Convolutions in ONNX Runtime's blocked channel layout, NCHWc (domain com.microsoft.nchwc): channels are stored
 * in blocks of 8 (AVX2) or 16 (AVX-512) innermost, which MLAS's direct convolution kernels need. ORT rewrites a
 * Conv into this layout itself only when its weight is a constant initializer; our training graphs take weights
 * as inputs, so they emit the blocked ops themselves: reorder the input, run the blocked Conv, reorder the output
 * back to NCHW. Measured on the small96/tiny64 layers, reorders included: 7–45 % faster than plain Conv (the
 * narrow 16–64-channel layers gain most); the whole tiny64 training step 13 %, small96 8 % (1 thread).
 *
 * The block size belongs to the CPU and never appears in the graph: both reorders and the filter's
 * OIHWBiBo layout are produced by ReorderInput itself (see `blockedFilter`). An ORT without the blocked kernels
 * (block size 1: x86 without AVX2) refuses such a model; `withoutBlockedOps` turns it into plain ONNX with the
 * same shapes and values, and createSession retries with that.
 */
import { onnx } from 'onnx-proto';
import type { Graph, Tensor } from './graph';
import type { Conv2dOptions } from './ops';
import { convGeometry, reshape } from './ops';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/**
 * Channel counts that every block size ORT uses (4, 8, 16) divides, so no reorder pads channels and every static
 * shape stays true. An input of at most 3 channels (an RGB stem) is read in plain NCHW by the blocked Conv.
 */
const CHANNEL_MULTIPLE = 16;
const MAX_PLAIN_INPUT_CHANNELS = 3;

/** Whether a conv with this input and weight (Cout, Cin/group, kh, kw) can run blocked. */
export function canBlock(x: Tensor, w: Tensor, group: number): boolean {
  const cin = x.shape[1]!;
  const cout = w.shape[0]!;
  return group === 1 && x.shape.length === 4 && cout % CHANNEL_MULTIPLE === 0
    && (cin % CHANNEL_MULTIPLE === 0 || cin <= MAX_PLAIN_INPUT_CHANNELS);
}

function reorderInput(g: Graph, x: Tensor): Tensor {
  return g.node('ReorderInput', [x], [{ dtype: 'float32', shape: x.shape }], {}, NCHWC_DOMAIN)[0]!;
}

/**
 * The filter in the layout the blocked Conv reads. For a blocked input that is OIHWBiBo
 * ([O/B][I/B][kh][kw][B_i][B_o]): ReorderInput of w as (N=O, C=I, kh, kw) blocks the input channels
 * ([o][I/B][kh][kw][B_i]); ReorderInput of that as (1, C=O, I·kh·kw, 1) then blocks the output channels around
 * it. For a plain NCHW input the layout is OIHWBo, one ReorderInput of w as (1, O, I·kh, kw). This is exactly
 * what ORT's own NCHWc rewrite stores for constant filters (MlasReorderFilterOIHWBiBo / OIHWBo).
 */
function blockedFilter(g: Graph, w: Tensor, blockedInput: boolean): Tensor {
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const inner = blockedInput ? reorderInput(g, w) : w;
  const rows = blockedInput ? [1, o, i * kh * kw, 1] : [1, o, i * kh, kw];
  return reshape(g, reorderInput(g, reshape(g, inner, rows)), w.shape);
}

/** conv(x, w) without bias through the blocked kernels, NCHW in and out; check `canBlock` first. */
export function blockedConv(g: Graph, x: Tensor, w: Tensor, o: Conv2dOptions = {}): Tensor {
  if (!canBlock(x, w, o.group ?? 1)) {
    throw new RangeError(`blockedConv cannot run x [${x.shape}] with w [${w.shape}], group ${o.group ?? 1}`);
  }
  const cin = x.shape[1]!;
  const [cout, , kh, kw] = w.shape as [number, number, number, number];
  const { s, p, d, shape } = convGeometry(x, w, o);
  const blockedInput = cin > MAX_PLAIN_INPUT_CHANNELS;
  const y = g.node(
    'Conv',
    [blockedInput ? reorderInput(g, x) : x, blockedFilter(g, w, blockedInput)],
    [{ dtype: 'float32', shape }],
    {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: s },
      pads: { ints: p },
      dilations: { ints: d },
      group: { i: 1 },
    },
    NCHWC_DOMAIN,
  )[0]!;
  return g.node('ReorderOutput', [y], [{ dtype: 'float32', shape }], { channels: { i: cout } }, NCHWC_DOMAIN)[0]!;
}

/** A model as bytes, or decoded by a caller that reads it for more than this (so it is decoded once). */
type ModelInput = Uint8Array | onnx.ModelProto;

const decoded = (model: ModelInput): onnx.ModelProto =>
  model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;

export function usesBlockedOps(model: ModelInput): boolean {
  return decoded(model).opsetImport.some((o) => o.domain === NCHWC_DOMAIN);
}

/**
 * The same model in plain ONNX: reorders become Identity and blocked Convs plain Convs. Every reordered tensor
 * keeps its NCHW shape (channels are block multiples), and the filter chain's reshapes then give back w itself.
 * A decoded model is changed in place.
 */
export function withoutBlockedOps(model: ModelInput): Uint8Array {
  const m = decoded(model);
  for (const node of m.graph?.node ?? []) {
    if (node.domain !== NCHWC_DOMAIN) continue;
    node.domain = '';
    if (node.opType === 'ReorderInput' || node.opType === 'ReorderOutput') {
      node.opType = 'Identity';
      node.attribute = [];
    }
  }
  m.opsetImport = m.opsetImport.filter((o) => o.domain !== NCHWC_DOMAIN);
  return onnx.ModelProto.encode(m).finish();
}
