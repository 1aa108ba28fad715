/**
 * ATT-COS and CAM-COS, the paper's two alignment scores (Belharbi et al. 2024, Tables 1 and 2; paper-notes §4, §5,
 * §7). Reference: sbelharbi/interpretable-fer-aus `dlib/learning/inference_wsol.py` (`update_avg_per_cl_au_cosine`,
 * `minibatch_accum`) and `dlib/metrics/wsol_metrics.py` (`compute_cosine_one_sample`). Both scores compare maps at
 * the AU heatmap's resolution (the reference's evaluation path), never at the attention's.
 */
import { minMax, normaliseMinMax, resizeBilinear } from '../raster';
import type { Heatmap } from '../types';

/** `torch.nn.functional.cosine_similarity`'s default eps, which the reference passes explicitly. */
export const COSINE_EPS = 1e-8;

/**
 * Cosine similarity of two flattened maps, as PyTorch 2's ATen `cosine_similarity` computes it: each vector is
 * divided by max(‖v‖, eps) before the dot product, so a zero map scores 0 rather than NaN. (The docs' older formula,
 * dot / max(‖a‖·‖b‖, eps), differs only when a norm is below eps.) The reference turns a NaN
 * cosine into 0 (`torch.nan_to_num`), so NaN inputs score 0 here too. Sums run in float64.
 */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosine needs equal lengths, got ${a.length} and ${b.length}`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  const c = dot / (Math.max(Math.sqrt(aa), COSINE_EPS) * Math.max(Math.sqrt(bb), COSINE_EPS));
  return Number.isNaN(c) ? 0 : c;
}

/**
 * The reference marks an AU map invalid by filling it with +inf (neutral class, no landmarks, or every AU outside
 * the image) and leaves such samples out of every cosine; any non-finite value counts as invalid here.
 */
export function isValidAuMap(auMap: Heatmap): boolean {
  for (const v of auMap.data) if (!Number.isFinite(v)) return false;
  return true;
}

function clampInPlace(map: Heatmap, lo: number, hi: number): Heatmap {
  const d = map.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.min(hi, Math.max(lo, d[i]!));
  return map;
}

/**
 * The AU map as the cosines see it: clipped to [0, 1], which the reference's data loader does last. Throws a
 * RangeError on an invalid map, because clipping +inf to 1 would silently score against an all-ones target: record
 * the sample as 'invalid' in the aggregator instead.
 */
export function prepareAuMap(auMap: Heatmap): Heatmap {
  if (!isValidAuMap(auMap)) throw new RangeError('AU map is invalid (non-finite values); exclude the sample');
  return clampInPlace({ width: auMap.width, height: auMap.height, data: Float32Array.from(auMap.data) }, 0, 1);
}

/**
 * How attention is upsampled to the AU map. 'torch-antialias' reproduces the reference exactly:
 * `F.interpolate(bilinear, align_corners=True, antialias=True)`. PyTorch's antialias kernel uses align_corners only
 * for the scale, (in−1)/(out−1), and still centres samples at (i+0.5)·scale, so when upsampling it samples the source
 * at (i+0.5)·(in−1)/(out−1) − 0.5 (clamped at 0), not at i·(in−1)/(out−1); see pytorch/pytorch#145526. The
 * reference's ATT-COS numbers were measured this way. 'align-corners' is textbook align_corners=True bilinear.
 */
export type AttentionResize = 'torch-antialias' | 'align-corners';

interface Span {
  readonly start: number;
  readonly weights: Float64Array;
}

/**
 * Source spans and weights of ATen's `_upsample_bilinear2d_aa` (`_compute_indices_min_size_weights_aa` in
 * UpSampleKernel.cpp): a triangle filter widened by the scale when downsampling, truncated at the borders and
 * renormalised. `Math.trunc` stands for C++'s `static_cast<int64_t>`.
 */
function torchAntialiasSpans(inSize: number, outSize: number, alignCorners: boolean): Span[] {
  let scale: number;
  if (alignCorners) scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  else scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const spans: Span[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const size = Math.min(Math.max(Math.min(Math.trunc(center + support + 0.5), inSize) - start, 0), maxTaps);
    const weights = new Float64Array(size);
    let total = 0;
    for (let j = 0; j < size; j++) {
      const w = Math.max(0, 1 - Math.abs((j + start - center + 0.5) * invScale));
      weights[j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < size; j++) weights[j] = weights[j]! / total;
    spans.push({ start, weights });
  }
  return spans;
}

/** Separable resize with PyTorch's antialiased bilinear kernel (rows first, then columns). */
function resizeTorchAntialias(src: Heatmap, width: number, height: number, alignCorners: boolean): Heatmap {
  const xs = torchAntialiasSpans(src.width, width, alignCorners);
  const ys = torchAntialiasSpans(src.height, height, alignCorners);
  const rows = new Float64Array(src.height * width);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = xs[x]!;
      let v = 0;
      for (let j = 0; j < weights.length; j++) v += weights[j]! * src.data[y * src.width + start + j]!;
      rows[y * width + x] = v;
    }
  }
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const { start, weights } = ys[y]!;
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let j = 0; j < weights.length; j++) v += weights[j]! * rows[(start + j) * width + x]!;
      data[y * width + x] = v;
    }
  }
  return { width, height, data };
}

/**
 * Layer attention T_l (channel mean) brought to the AU map's size as ATT-COS compares it: upsampled, clamped to
 * its pre-resize [min, max], then shifted by −min when min < 0 so the cosine sees a non-negative map (reference
 * `update_avg_per_cl_au_cosine`). This is the map the explanation panel shows next to the ATT-COS value.
 */
export function prepareAttention(
  attention: Heatmap,
  width: number,
  height: number,
  resize: AttentionResize = 'torch-antialias',
): Heatmap {
  const { min, max } = minMax(attention.data);
  const up = resize === 'torch-antialias'
    ? resizeTorchAntialias(attention, width, height, true)
    : resizeBilinear(attention, width, height, true);
  clampInPlace(up, min, max);
  if (min < 0) for (let i = 0; i < up.data.length; i++) up.data[i] = up.data[i]! - min;
  return up;
}

/**
 * The class-y CAM brought to the AU map's size as CAM-COS compares it (reference `get_cam_one_sample` →
 * `minibatch_accum`, paper-notes §5): min-max normalised (a constant map becomes 0, as the reference's NaN → 0
 * does), bilinear upsampling with align_corners=false, clamped to [0, 1]. ReLU for the gradient CAMs belongs to
 * the CAM method, not here. This is the map the explanation panel shows next to the CAM-COS value.
 */
export function prepareCam(cam: Heatmap, width: number, height: number): Heatmap {
  return clampInPlace(resizeBilinear(normaliseMinMax(cam), width, height, false), 0, 1);
}

/** ATT-COS (paper Table 2): cosine between the prepared attention and the [0, 1]-clipped AU map. */
export function attentionCosine(
  attention: Heatmap,
  auMap: Heatmap,
  resize: AttentionResize = 'torch-antialias',
): number {
  const target = prepareAuMap(auMap);
  return cosine(prepareAttention(attention, target.width, target.height, resize).data, target.data);
}

/** CAM-COS (paper Table 1): cosine between the prepared CAM and the [0, 1]-clipped AU map. */
export function camCosine(cam: Heatmap, auMap: Heatmap): number {
  const target = prepareAuMap(auMap);
  return cosine(prepareCam(cam, target.width, target.height).data, target.data);
}
