/** A point in image pixel coordinates: x is the column, y the row (origin at the top-left pixel's corner). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** The 68 iBUG/300W landmarks of one face, 0-based indices as in the paper's code. */
export type Landmarks68 = readonly Point[];

/** A single-channel float map stored row-major: value at (x, y) is data[y * width + x]. */
export interface Heatmap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Axis-aligned box in pixel coordinates. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One filled, axis-aligned ellipse with semi-axes rx (horizontal) and ry (vertical). */
export interface Ellipse {
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
}
