/**
 * AU occlusion: does the class score depend on the Action Units the codebook names for the class? For one face and
 * class, each AU region (its ellipses, regions.ts) is hidden under a Gaussian-blurred copy of the face (blur.ts,
 * σ = 8 px at 224) and the drop of the class probability is measured; then the same for control regions of equal
 * area on facial skin (inside the landmark hull, outside every AU ellipse), drawn at random from a seed and
 * averaged over a few draws. In the spirit of occlusion sensitivity (Zeiler & Fergus 2014) and Quantus's Region
 * Perturbation (Samek et al. 2017), with the regions the codebook names instead of a grid or superpixels.
 *
 * - auReliance[AU] = p(class | face) − p(class | face with the AU hidden): positive when hiding it lowers the score;
 * - controlDrop = the same, averaged over the control draws; the control's area is the mean area of the class's
 *   AU regions (inside the image), so the AUs and the control hide as much of the face on average;
 * - auSelectivity = mean over the class's AUs of auReliance − controlDrop: above 0 when the model depends more on
 *   the codebook's AUs than on other skin of the same size.
 * AUs whose region lies outside the image are reported with no drop and left out of the mean.
 */
import { deriveSeed, mulberry32 } from '../../random';
import { blurSigmaFor, checkImage, gaussianBlur, paste } from './blur';
import type { Probe } from './classifier';
import { classIndexOf, settledProbe } from './classifier';
import type { FaceRegions } from './regions';
import { controlRegion } from './regions';
import type { ModelImage, PixelMask, Skipped } from './types';
import { skipped } from './types';

export const DEFAULT_CONTROL_DRAWS = 3;
export const DEFAULT_OCCLUSION_SEED = 19;

export interface AuOcclusionOptions {
  /** Blur σ in pixels; default blurSigmaFor(width) (8 px at 224). */
  readonly sigma?: number;
  /** Control regions drawn per face; default 3. */
  readonly draws?: number;
  /** Seed of the control draws; each face should pass its own (e.g. deriveSeed(seed, faceIndex)). */
  readonly seed?: number;
}

export interface AuDrop {
  readonly facs: number;
  /** Pixels of the region inside the image. */
  readonly pixels: number;
  /** Probability drop when the region is hidden; null when the region is outside the image. */
  readonly drop: number | null;
}

export interface ControlDrop {
  /** The area asked for (mean AU area) and the pixels each draw covered (fewer when the skin is smaller). */
  readonly area: number;
  readonly pixels: readonly number[];
  readonly drops: readonly number[];
  /** Mean of `drops`. */
  readonly drop: number;
}

export interface AuOcclusion {
  readonly status: 'ok';
  readonly classIndex: number;
  /** The class probability on the intact face. */
  readonly probability: number;
  readonly sigma: number;
  readonly aus: readonly AuDrop[];
  /** Null when the face has no skin pixel outside the AUs (the reason is in `note`). */
  readonly control: ControlDrop | null;
  /** Keyed by "AU12"; the AUs inside the image only. */
  readonly auReliance: Readonly<Record<string, number>>;
  readonly auSelectivity: number | null;
  /** Why auSelectivity is null, or that the control region is smaller than asked; null when neither. */
  readonly note: string | null;
}

export type AuOcclusionResult = AuOcclusion | Skipped;

export interface AuOcclusionInput {
  readonly image: ModelImage;
  /** The model's class names (Classifier.labels) and the class explained. */
  readonly labels: readonly string[];
  readonly className: string;
  /** faceRegions(...) at the image's size, or its Skipped (neutral, no landmarks). */
  readonly regions: FaceRegions | Skipped;
}

function checkRegion(mask: PixelMask, image: ModelImage, what: string): void {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new RangeError(`${what} is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}`);
  }
}

/** The images: [intact, each in-image AU hidden, each control draw]; see the file comment for the result. */
export function planAuOcclusion(input: AuOcclusionInput, options: AuOcclusionOptions = {}): Probe<AuOcclusionResult> {
  const { image, regions } = input;
  checkImage(image);
  const classIndex = classIndexOf(input.labels, input.className);
  if (typeof classIndex !== 'number') return settledProbe(classIndex);
  if ('status' in regions) return settledProbe(regions);
  if (regions.aus.length === 0) {
    return settledProbe(skipped('no-aus', `class "${input.className}" uses no action units`));
  }
  regions.aus.forEach(({ facs, mask }) => checkRegion(mask, image, `the AU${facs} region`));
  checkRegion(regions.skin, image, 'the skin mask');
  const inside = regions.aus.filter((a) => a.mask.pixels > 0);
  if (inside.length === 0) {
    const names = regions.aus.map((a) => `AU${a.facs}`).join(', ');
    const detail = `none of ${names} falls inside the ${image.width}×${image.height} input`;
    return settledProbe(skipped('outside-image', detail));
  }
  const sigma = options.sigma ?? blurSigmaFor(image.width);
  const draws = options.draws ?? DEFAULT_CONTROL_DRAWS;
  if (!Number.isInteger(draws) || draws < 1) throw new RangeError(`draws must be a positive integer, got ${draws}`);
  const area = Math.max(1, Math.round(inside.reduce((s, a) => s + a.mask.pixels, 0) / inside.length));
  const seed = options.seed ?? DEFAULT_OCCLUSION_SEED;
  const draw = (d: number): PixelMask => controlRegion(regions.skin, area, mulberry32(deriveSeed(seed, d)));
  const controls = regions.skin.pixels === 0 ? [] : Array.from({ length: draws }, (_, d) => draw(d));
  const masks = [...inside.map((a) => a.mask), ...controls];
  let blurred: ModelImage | undefined;
  return {
    size: 1 + masks.length,
    classIndex,
    image: (i) => {
      if (i === 0) return image.data;
      blurred ??= gaussianBlur(image, sigma);
      return paste(image, blurred, masks[i - 1]!);
    },
    finish: (p) => {
      const base = p[0]!;
      const dropOf = new Map(inside.map((a, k) => [a.facs, base - p[1 + k]!]));
      const controlDrops = controls.map((_, d) => base - p[1 + inside.length + d]!);
      const control = controls.length === 0 ? null : {
        area,
        pixels: controls.map((c) => c.pixels),
        drops: controlDrops,
        drop: controlDrops.reduce((s, v) => s + v, 0) / controlDrops.length,
      };
      const meanAuDrop = [...dropOf.values()].reduce((s, v) => s + v, 0) / dropOf.size;
      const short = controls.some((c) => c.pixels < area);
      const note = control === null
        ? 'no facial skin lies outside the action units, so there is no control region'
        : short
          ? `the skin outside the action units holds ${regions.skin.pixels} pixels, fewer than the ${area} asked for`
          : null;
      return {
        status: 'ok',
        classIndex,
        probability: base,
        sigma,
        aus: regions.aus.map(({ facs, mask }) => ({ facs, pixels: mask.pixels, drop: dropOf.get(facs) ?? null })),
        control,
        auReliance: Object.fromEntries([...dropOf].map(([facs, drop]) => [`AU${facs}`, drop])),
        auSelectivity: control === null ? null : meanAuDrop - control.drop,
        note,
      };
    },
  };
}
