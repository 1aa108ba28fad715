/**
 * The photometric half of the train-time augmentation (augment.ts), on planar [0, 1] floats with torchvision's
 * float tensor semantics: RandomGrayscale and ColorJitter (grayscale weights 0.2989/0.587/0.114, clamping to
 * [0, 1] after each op, exact RGB↔HSV hue rotation).
 */

/** The colour ops of torchvision's ColorJitter, by its fn_idx numbering. */
export type JitterOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
export const JITTER_OPS: readonly JitterOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

/** What ColorJitter drew: its ops' random order and one factor per op. */
export interface JitterDraw {
  readonly order: readonly JitterOp[];
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;
}

const GRAY_R = 0.2989;
const GRAY_G = 0.587;
const GRAY_B = 0.114;

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** torchvision rgb_to_grayscale with three output channels. */
export function grayscale(img: Float32Array, plane: number): void {
  for (let i = 0; i < plane; i++) {
    const l = GRAY_R * img[i]! + GRAY_G * img[i + plane]! + GRAY_B * img[i + 2 * plane]!;
    img[i] = l;
    img[i + plane] = l;
    img[i + 2 * plane] = l;
  }
}

/** torchvision _blend(img, other, ratio) = clamp(ratio·img + (1 − ratio)·other) with a constant `other`. */
function blendConstant(img: Float32Array, ratio: number, other: number): void {
  const offset = (1 - ratio) * other;
  for (let i = 0; i < img.length; i++) img[i] = clamp01(ratio * img[i]! + offset);
}

/** The same with a per-pixel `other` plane shared by the three channels (saturation's grayscale). */
function blendPlane(img: Float32Array, plane: number, ratio: number, other: Float32Array): void {
  for (let ch = 0; ch < 3; ch++) {
    const base = ch * plane;
    for (let i = 0; i < plane; i++) img[base + i] = clamp01(ratio * img[base + i]! + (1 - ratio) * other[i]!);
  }
}

function grayPlane(img: Float32Array, plane: number, out: Float32Array): Float32Array {
  for (let i = 0; i < plane; i++) out[i] = GRAY_R * img[i]! + GRAY_G * img[i + plane]! + GRAY_B * img[i + 2 * plane]!;
  return out;
}

/** torchvision adjust_hue on floats: RGB → HSV, rotate h by `shift` turns, → RGB (exact, per pixel). */
function adjustHue(img: Float32Array, plane: number, shift: number): void {
  for (let i = 0; i < plane; i++) {
    const r = img[i]!;
    const g = img[i + plane]!;
    const b = img[i + 2 * plane]!;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (chroma === 0) continue; // grey: hue is undefined and the rotation changes nothing
    const s = chroma / max;
    let h: number;
    if (max === r) h = (g - b) / chroma;
    else if (max === g) h = 2 + (b - r) / chroma;
    else h = 4 + (r - g) / chroma;
    h = h / 6 + shift;
    h -= Math.floor(h);
    const h6 = h * 6;
    const sector = Math.floor(h6) % 6;
    const frac = h6 - Math.floor(h6);
    const p = clamp01(max * (1 - s));
    const q = clamp01(max * (1 - s * frac));
    const t = clamp01(max * (1 - s * (1 - frac)));
    const v = max;
    let nr: number;
    let ng: number;
    let nb: number;
    switch (sector) {
      case 0: nr = v; ng = t; nb = p; break;
      case 1: nr = q; ng = v; nb = p; break;
      case 2: nr = p; ng = v; nb = t; break;
      case 3: nr = p; ng = q; nb = v; break;
      case 4: nr = t; ng = p; nb = v; break;
      default: nr = v; ng = p; nb = q;
    }
    img[i] = nr;
    img[i + plane] = ng;
    img[i + 2 * plane] = nb;
  }
}

export function colourJitter(img: Float32Array, plane: number, jitter: JitterDraw, scratch: Float32Array): void {
  for (const op of jitter.order) {
    if (op === 'brightness') blendConstant(img, jitter.brightness, 0);
    else if (op === 'contrast') {
      const gray = grayPlane(img, plane, scratch);
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += gray[i]!;
      blendConstant(img, jitter.contrast, sum / plane);
    } else if (op === 'saturation') blendPlane(img, plane, jitter.saturation, grayPlane(img, plane, scratch));
    else adjustHue(img, plane, jitter.hue);
  }
}
