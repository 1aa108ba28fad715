/**
 * The jet colour map (matplotlib's piecewise-linear definition), which the paper's figures use, so our overlays
 * read like the ones researchers already know.
 */
export type Rgb = readonly [number, number, number];

function channel(v: number, points: readonly (readonly [number, number])[]): number {
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x0, y0] = points[i - 1]!;
    if (v <= x1) return y0 + ((y1 - y0) * (v - x0)) / (x1 - x0 || 1);
  }
  return points[points.length - 1]![1];
}

const RED: readonly (readonly [number, number])[] = [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]];
const GREEN: readonly (readonly [number, number])[] = [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]];
const BLUE: readonly (readonly [number, number])[] = [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]];

/** Jet colour of a value in [0, 1] (clamped), as 0–255 integers. */
export function jet(value: number): Rgb {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  return [RED, GREEN, BLUE].map((c) => Math.round(255 * channel(v, c))) as unknown as Rgb;
}
