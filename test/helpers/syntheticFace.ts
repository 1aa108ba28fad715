import { IBUG68_MIRROR } from '../../src/trainer/science/geometry';
import type { Point } from '../../src/trainer/science/types';

/**
 * The image-left half and the centre line of a frontal face, as fractions of the image (roughly a RAF-DB style
 * 224×224 crop with the face box enlarged by 30 %). The other half is the mirror image.
 */
const HALF_FACE: readonly (readonly [index: number, u: number, v: number])[] = [
  // jaw, from the image-left temple down to the chin
  [0, 0.18, 0.42], [1, 0.185, 0.51], [2, 0.195, 0.6], [3, 0.215, 0.69], [4, 0.25, 0.775], [5, 0.305, 0.845],
  [6, 0.37, 0.895], [7, 0.435, 0.925], [8, 0.5, 0.935],
  // brow
  [17, 0.24, 0.35], [18, 0.28, 0.32], [19, 0.33, 0.31], [20, 0.38, 0.315], [21, 0.43, 0.33],
  // nose bridge and nostrils
  [27, 0.5, 0.42], [28, 0.5, 0.48], [29, 0.5, 0.54], [30, 0.5, 0.6], [31, 0.445, 0.64], [32, 0.47, 0.65], [33, 0.5, 0.655],
  // eye: outer corner, upper lid, inner corner, lower lid
  [36, 0.3, 0.42], [37, 0.335, 0.4], [38, 0.375, 0.4], [39, 0.41, 0.425], [40, 0.375, 0.44], [41, 0.335, 0.44],
  // outer lips
  [48, 0.385, 0.75], [49, 0.425, 0.725], [50, 0.465, 0.712], [51, 0.5, 0.718], [57, 0.5, 0.815], [58, 0.455, 0.808], [59, 0.415, 0.788],
  // inner lips
  [60, 0.4, 0.75], [61, 0.455, 0.738], [62, 0.5, 0.742], [66, 0.5, 0.765], [67, 0.455, 0.763],
];

export interface SyntheticFaceOptions {
  /**
   * Put every off-centre x on the centre of a pixel with an even index and the centre line on the middle pixel
   * (needs an odd width). Then the paper's int() truncations and midpoints mirror exactly, so a flipped face
   * gives exactly the flipped AU map.
   */
  exactMirror?: boolean;
}

/** A plausible frontal 68-point iBUG face filling a width × height image, symmetric about x = width / 2. */
export function syntheticFace(width = 224, height = width, options: SyntheticFaceOptions = {}): Point[] {
  if (options.exactMirror && width % 2 === 0) throw new RangeError(`exactMirror needs an odd width, got ${width}`);
  const place = (u: number): number => {
    if (!options.exactMirror) return u * width;
    return u === 0.5 ? width / 2 : 2 * Math.round((u * width) / 2) + 0.5;
  };
  const face: (Point | undefined)[] = new Array<Point | undefined>(68).fill(undefined);
  for (const [i, u, v] of HALF_FACE) {
    const x = place(u);
    const y = v * height;
    face[i] = { x, y };
    face[IBUG68_MIRROR[i]!] = { x: width - x, y };
  }
  return face.map((p, i) => {
    if (!p) throw new Error(`synthetic face template misses landmark ${i}`);
    return p;
  });
}

/** A copy of `face` with some landmarks replaced, for hand-computed geometry checks. */
export function withLandmarks(face: readonly Point[], replace: Readonly<Record<number, Point>>): Point[] {
  return face.map((p, i) => replace[i] ?? p);
}

/** Every landmark moved by (dx, dy). */
export function shiftFace(face: readonly Point[], dx: number, dy: number): Point[] {
  return face.map((p) => ({ x: p.x + dx, y: p.y + dy }));
}
