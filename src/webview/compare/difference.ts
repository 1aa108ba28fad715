/**
 * The difference of two maps (B − A, each in [0, 1]) in a diverging colour map: blue where A is higher, red where B
 * is higher, transparent where they agree, so the face shows through wherever the models look alike.
 */

/** Moreland's cool-warm end points (the colours of matplotlib's "coolwarm"). */
const COOL: readonly [number, number, number] = [59, 76, 192];
const WARM: readonly [number, number, number] = [180, 4, 38];

/** A side×side canvas of b − a; alpha grows with |b − a|. */
export function differenceCanvas(a: Float32Array, b: Float32Array, side: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const image = new ImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const d = Math.max(-1, Math.min(1, (b[i] ?? 0) - (a[i] ?? 0)));
    const [r, g, bl] = d >= 0 ? WARM : COOL;
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = bl;
    // √|d| lifts small differences into view; a difference of 1 is opaque.
    image.data[4 * i + 3] = Math.round(255 * Math.sqrt(Math.abs(Number.isFinite(d) ? d : 0)));
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}

/** The legend's CSS gradient, from −1 (A higher) through none to +1 (B higher). */
export function differenceGradient(): string {
  return `linear-gradient(to right, rgb(${COOL.join(', ')}) 0%, transparent 50%, rgb(${WARM.join(', ')}) 100%)`;
}

/** Mean of b − a over the map: a one-number summary for the caption. */
export function meanDifference(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (b[i] ?? 0) - (a[i] ?? 0);
  return a.length ? sum / a.length : 0;
}
