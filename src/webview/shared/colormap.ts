/** Heatmaps to pixels in the page, with the jet colour map the CLI's PNGs and the paper's figures use. */
import { jet } from '../../trainer/science/colormap';

/** 256 jet colours, RGB, computed once. */
const LUT: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(jet(i / 255), i * 3);
  return lut;
})();

/** A side×side map of values in [0, 1] as an opaque canvas, ready to be scaled (smoothly) onto a face. */
export function heatmapCanvas(data: Float32Array, side: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const image = new ImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = data[i]!;
    const k = 3 * Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
    image.data[4 * i] = LUT[k]!;
    image.data[4 * i + 1] = LUT[k + 1]!;
    image.data[4 * i + 2] = LUT[k + 2]!;
    image.data[4 * i + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}

/** A CSS gradient of the colour map, for the legend. */
export function jetGradient(stops = 11): string {
  const colours = Array.from({ length: stops }, (_, i) => {
    const [r, g, b] = jet(i / (stops - 1));
    return `rgb(${r}, ${g}, ${b}) ${Math.round((100 * i) / (stops - 1))}%`;
  });
  return `linear-gradient(to right, ${colours.join(', ')})`;
}
