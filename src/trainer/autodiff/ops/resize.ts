import type { Graph, Tensor } from '../../onnx/graph';
import { matmul, unary } from '../../onnx/ops';
import { interpolationMatrix } from '../../science/raster';
import type { DiffOp } from '../tape';

export interface ResizeParams {
  readonly height: number;
  readonly width: number;
  /** false: PyTorch's default / OpenCV INTER_LINEAR (half-pixel centres); true: align_corners=True. */
  readonly alignCorners: boolean;
}

/** The (dst × src) interpolation matrix of one axis, or its transpose, as a graph constant. */
function axisMatrix(g: Graph, src: number, dst: number, alignCorners: boolean, transposed: boolean): Tensor {
  const m = interpolationMatrix(src, dst, alignCorners);
  if (!transposed) return g.constant(m, [dst, src]);
  const t = new Float32Array(m.length);
  for (let d = 0; d < dst; d++) for (let s = 0; s < src; s++) t[s * dst + d] = m[d * src + s]!;
  return g.constant(t, [src, dst]);
}

function sourceSize(x: Tensor): [number, number] {
  const rank = x.shape.length;
  if (rank !== 3 && !(rank === 4 && x.shape[1] === 1)) {
    throw new RangeError(`ResizeBilinear needs (N,H,W) or (N,1,H,W), got [${x.shape}]`);
  }
  return x.shape.slice(-2) as [number, number];
}

/**
 * Bilinear resize of the last two axes ((N,H,W) or (N,1,H,W)) to height×width, with exactly the taps of
 * science/raster.ts `resizeBilinear` (and so F.interpolate(mode='bilinear') without antialias, which the peer
 * uses on AU maps). The resize is linear: out = R_y·X·R_xᵀ with constant matrices, and dX = R_yᵀ·dY·R_x.
 */
export const ResizeBilinear: DiffOp<ResizeParams> = {
  name: 'ResizeBilinear',
  forward: (g, [x], { height, width, alignCorners }) => {
    const [h, w] = sourceSize(x!);
    // Both semantics map a size onto itself as the identity.
    if (h === height && w === width) return { outputs: [unary(g, 'Identity', x!)], saved: undefined };
    const out = matmul(
      g,
      matmul(g, axisMatrix(g, h, height, alignCorners, false), x!),
      axisMatrix(g, w, width, alignCorners, true),
    );
    return { outputs: [out], saved: undefined };
  },
  backward: (g, { inputs: [x], params: { height, width, alignCorners } }, [dy]) => {
    const [h, w] = sourceSize(x!);
    if (h === height && w === width) return [dy];
    return [
      matmul(
        g,
        matmul(g, axisMatrix(g, h, height, alignCorners, true), dy!),
        axisMatrix(g, w, width, alignCorners, false),
      ),
    ];
  },
};
