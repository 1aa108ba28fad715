/**
 * The regions AU occlusion hides: each AU of a class as the union of its ellipses (auGeometry.ts, the paper's
 * geometry), and the facial skin a control region may use: inside the convex hull of the 68 landmarks and outside
 * every AU ellipse of the codebook. Hair and background are outside the hull on purpose: hiding them usually
 * changes a face classifier less than hiding any part of the face, which would make AUs look selective for free.
 */
import { auEllipses } from '../../auGeometry';
import { createMap, fillEllipse } from '../../raster';
import type { Random } from '../../random';
import { randomInt } from '../../random';
import type { Heatmap, Landmarks68, Point } from '../../types';
import type { PixelMask, Skipped } from './types';
import { skipped } from './types';

function toMask(map: Heatmap, inside: (v: number) => boolean): PixelMask {
  const data = new Uint8Array(map.data.length);
  let pixels = 0;
  for (let i = 0; i < data.length; i++) {
    if (inside(map.data[i]!)) {
      data[i] = 1;
      pixels++;
    }
  }
  return { width: map.width, height: map.height, data, pixels };
}

/** The union of an AU's ellipses, drawn as the AU heatmap draws them (pixel centres on integer coordinates). */
export function auRegion(facs: number, landmarks: Landmarks68, width: number, height: number): PixelMask {
  const canvas = createMap(width, height);
  for (const e of auEllipses(facs, landmarks, width, height)) fillEllipse(canvas, e, 1);
  return toMask(canvas, (v) => v > 0);
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/** Andrew's monotone chain: the hull's corners, counter-clockwise in y-down axes seen as y-up. */
function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const half = (pts: readonly Point[]): Point[] => {
    const chain: Point[] = [];
    for (const p of pts) {
      while (chain.length >= 2 && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, p) <= 0) chain.pop();
      chain.push(p);
    }
    chain.pop();
    return chain;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/** Pixels whose centre (x + 0.5, y + 0.5) lies inside or on the convex hull of the landmarks. */
export function landmarkHull(landmarks: Landmarks68, width: number, height: number): PixelMask {
  const hull = convexHull(landmarks);
  const map = createMap(width, height);
  if (hull.length >= 3) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = { x: x + 0.5, y: y + 0.5 };
        if (hull.every((a, i) => cross(a, hull[(i + 1) % hull.length]!, p) >= 0)) map.data[y * width + x] = 1;
      }
    }
  }
  return toMask(map, (v) => v > 0);
}

/** One AU's region, named by its FACS number. */
export interface AuRegion {
  readonly facs: number;
  readonly mask: PixelMask;
}

/** What AU occlusion hides on one face: the class's AU regions and the skin a control region may cover. */
export interface FaceRegions {
  readonly aus: readonly AuRegion[];
  readonly skin: PixelMask;
}

/**
 * The regions of `classAus` and the skin outside every AU of `codebookAus`, at width×height, for landmarks in that
 * image's pixels. A class without AUs (neutral) or a face without finite landmarks gives a Skipped.
 */
export function faceRegions(
  landmarks: Landmarks68 | undefined,
  width: number,
  height: number,
  classAus: readonly number[],
  codebookAus: readonly number[],
): FaceRegions | Skipped {
  if (classAus.length === 0) {
    return skipped('no-aus', 'the class uses no action units (e.g. neutral), so there is nothing to hide');
  }
  if (!landmarks || landmarks.length !== 68 || landmarks.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y))) {
    return skipped('no-landmarks', 'the face has no 68 finite landmarks to place its action units on');
  }
  const aus = [...new Set(classAus)].map((facs) => ({ facs, mask: auRegion(facs, landmarks, width, height) }));
  const hull = landmarkHull(landmarks, width, height);
  const covered = new Uint8Array(width * height);
  for (const facs of new Set([...codebookAus, ...classAus])) {
    const m = auRegion(facs, landmarks, width, height);
    for (let i = 0; i < covered.length; i++) covered[i]! |= m.data[i]!;
  }
  const data = new Uint8Array(width * height);
  let pixels = 0;
  for (let i = 0; i < data.length; i++) {
    if (hull.data[i] && !covered[i]) {
      data[i] = 1;
      pixels++;
    }
  }
  return { aus, skin: { width, height, data, pixels } };
}

/**
 * A compact control region of `area` skin pixels: a skin pixel drawn uniformly at random, and the `area` skin
 * pixels nearest to it (Euclidean, ties in row-major order), i.e. a disc clipped to the skin. When the skin holds
 * fewer pixels, the region is all of it; the caller reports the shortfall.
 */
export function controlRegion(skin: PixelMask, area: number, random: Random): PixelMask {
  if (!Number.isInteger(area) || area < 1) {
    throw new RangeError(`a control region needs a positive integer area, got ${area}`);
  }
  if (skin.pixels === 0) throw new RangeError('there is no skin pixel to place a control region on');
  const candidates: number[] = [];
  for (let i = 0; i < skin.data.length; i++) if (skin.data[i]) candidates.push(i);
  const centre = candidates[randomInt(random, candidates.length)]!;
  const cx = centre % skin.width;
  const cy = Math.floor(centre / skin.width);
  const d2 = (i: number): number => ((i % skin.width) - cx) ** 2 + (Math.floor(i / skin.width) - cy) ** 2;
  const chosen = candidates.map((i) => ({ i, d: d2(i) })).sort((a, b) => a.d - b.d || a.i - b.i).slice(0, area);
  const data = new Uint8Array(skin.data.length);
  for (const { i } of chosen) data[i] = 1;
  return { width: skin.width, height: skin.height, data, pixels: chosen.length };
}

/**
 * The regions moved to another image by `move`, a map transform such as the one that takes the paper's 224×224
 * frame to a model's input (nearest sampling keeps a 0/1 map 0/1); a pixel is inside where the moved map is > 0.5.
 * AU regions drawn in the paper's frame then match the AU heatmap the metrics compare maps with.
 */
export function moveRegions(regions: FaceRegions, move: (map: Heatmap) => Heatmap): FaceRegions {
  const moved = (mask: PixelMask): PixelMask => {
    const map = move({ width: mask.width, height: mask.height, data: Float32Array.from(mask.data) });
    return toMask(map, (v) => v > 0.5);
  };
  return { aus: regions.aus.map(({ facs, mask }) => ({ facs, mask: moved(mask) })), skin: moved(regions.skin) };
}
