/**
 * The AU heatmap A of one face (docs/paper-notes.md §3, after `build_all_action_units` and the data loader of the
 * official code): every AU's ellipses on a 1e-4 canvas, smoothed by a round trip through 28×28 with a 3×3 box
 * blur, then the pixel-wise max over the AUs that landed in the image, min-max normalised.
 */
import { auEllipses } from './auGeometry';
import type { Codebook } from './codebook';
import { ausForExpression } from './codebook';
import type { Expression } from './labels';
import { boxBlur3, createMap, fillEllipse, normaliseMinMax, pixelMax, resizeBilinear } from './raster';
import type { Heatmap, Landmarks68 } from './types';

/**
 * A valid map is in [0, 1]; `perAu` holds each drawn AU's own min-max normalised map (for per-AU energy shares).
 * An invalid map means the sample has no AU target: the paper skips it in the alignment loss and the cosine metrics.
 */
export type AuHeatmap =
  | { valid: true; map: Heatmap; perAu: { facs: number; map: Heatmap }[] }
  | { valid: false; reason: 'no-aus' | 'no-landmarks' | 'outside-image'; detail: string };

export interface AuHeatmapOptions {
  /** Side of the intermediate map the ellipses are smoothed at (the code's 28×28). */
  smoothSize?: number;
}

/** The code's canvas values; kept so that maps match the reference before normalisation too. */
const BACKGROUND = 1e-4;
const FOREGROUND = 255;

function firstNonFinite(landmarks: Landmarks68): number {
  return landmarks.findIndex((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y));
}

/** One AU drawn and smoothed at native size, or undefined when none of its ellipses reaches into the image. */
function smoothedAuMap(
  facs: number,
  landmarks: Landmarks68,
  width: number,
  height: number,
  smoothSize: number,
): Heatmap | undefined {
  const canvas = createMap(width, height, BACKGROUND);
  let inside = 0;
  for (const e of auEllipses(facs, landmarks, width, height)) inside += fillEllipse(canvas, e, FOREGROUND);
  if (inside === 0) return undefined;
  // cv2.resize's default is INTER_LINEAR with half-pixel centres, i.e. alignCorners false.
  const small = boxBlur3(resizeBilinear(canvas, smoothSize, smoothSize));
  return resizeBilinear(small, width, height);
}

/**
 * The AU heatmap of a face whose landmarks are in pixels of a `width`×`height` image (the paper's 224×224 crop;
 * other sizes scale the AU geometry, see auGeometry.ts). AUs are drawn in the given order; duplicates are ignored.
 */
export function buildAuHeatmap(
  landmarks: Landmarks68 | undefined,
  width: number,
  height: number,
  aus: readonly number[],
  options: AuHeatmapOptions = {},
): AuHeatmap {
  const smoothSize = options.smoothSize ?? 28;
  if (!Number.isInteger(smoothSize) || smoothSize <= 0) {
    throw new RangeError(`smoothSize must be a positive integer, got ${smoothSize}`);
  }
  if (aus.length === 0) {
    return { valid: false, reason: 'no-aus', detail: 'the expression uses no action units (e.g. neutral)' };
  }
  if (!landmarks || landmarks.length === 0) {
    return { valid: false, reason: 'no-landmarks', detail: 'no landmarks were found for this face' };
  }
  const bad = firstNonFinite(landmarks);
  if (bad >= 0) {
    const p = landmarks[bad]!;
    return { valid: false, reason: 'no-landmarks', detail: `landmark ${bad} is not a finite point (${p.x}, ${p.y})` };
  }

  const perAu: { facs: number; map: Heatmap }[] = [];
  const raw: Heatmap[] = [];
  for (const facs of new Set(aus)) {
    const map = smoothedAuMap(facs, landmarks, width, height, smoothSize);
    if (!map) continue;
    raw.push(map);
    perAu.push({ facs, map: normaliseMinMax(map) });
  }
  if (raw.length === 0) {
    return {
      valid: false,
      reason: 'outside-image',
      detail: `none of ${[...new Set(aus)].map((a) => `AU${a}`).join(', ')} falls inside the ${width}×${height} image`,
    };
  }
  // The max is taken before normalising, as the code does, so AUs keep their relative strength in the combined map.
  return { valid: true, map: normaliseMinMax(pixelMax(raw)), perAu };
}

/** The AU heatmap of `expression` under `codebook`; invalid ('no-aus') for an expression without AUs. */
export function auHeatmapForExpression(
  codebook: Codebook,
  expression: Expression,
  landmarks: Landmarks68 | undefined,
  width: number,
  height: number,
  options: AuHeatmapOptions = {},
): AuHeatmap {
  return buildAuHeatmap(landmarks, width, height, ausForExpression(codebook, expression), options);
}
