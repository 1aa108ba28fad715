/**
 * Where each facial Action Unit is drawn: filled, axis-aligned ellipses placed on the 68 iBUG landmarks, as in
 * `plot_action_units_ellipsoid` of the official code (sbelharbi/interpretable-fer-aus,
 * dlib/face_landmarks/action_units.py; see docs/paper-notes.md §2).
 *
 * Faithfulness rules, so that a 224×224 face gives exactly the paper's ellipses:
 * - Landmarks are cast with Python's `int()` (truncation toward zero) before any arithmetic, and midpoints and
 *   `int(...)` semi-axes truncate again; `round(w/8)`-style terms use Python's `round` (half to even).
 * - The code's pixel constants (5, 10, 20, 25 and the +20 of AU7) are absolute pixels of a 224×224 crop. We scale
 *   each by width/224 when it is horizontal (x offsets, rx) and by height/224 when it is vertical (y offsets, ry),
 *   then round (half to even). At 224×224 that is the identity; the code itself never scales.
 *
 * Quirks of the code kept on purpose (the paper text differs or is silent):
 * - AU10 mixes indices: its ellipses sit at (x48, y50) and (x52, y54), not on mirrored points.
 * - AU20 pairs P48/P6 with P50/P10 and AU17 is a single ellipse between P59 and P8, so neither is mirror-symmetric.
 * - AU6 (cheek) is the lower eyelid point P41/P46 moved down by round(h/6); the 2410.01848 text mentions a jaw
 *   landmark instead, but gives no formula.
 * - AU14 and AU43 are not used by the paper's codebook; their geometry is kept so custom codebooks can use them
 *   (AU43 has no fallback for a zero semi-axis, as in the code).
 */
import type { Ellipse, Landmarks68, Point } from './types';

/** Python's `int()` on a float; `+ 0` turns -0 into 0 so results compare equal to hand-written numbers. */
function int(v: number): number {
  return Math.trunc(v) + 0;
}

/** Python 3's `round()`: halves go to the even neighbour, unlike Math.round. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const REFERENCE_SIZE = 224;

/** The truncated landmarks and the image size, with the size-dependent constants of the code. */
class Frame {
  readonly p: readonly Point[];

  constructor(landmarks: Landmarks68, readonly w: number, readonly h: number) {
    this.p = landmarks.map((q) => ({ x: int(q.x), y: int(q.y) }));
  }

  at(i: number): Point {
    return this.p[i]!;
  }

  /** A horizontal pixel constant of the 224×224 code, at this width. */
  sx(px: number): number {
    return pyRound((px * this.w) / REFERENCE_SIZE);
  }

  /** A vertical pixel constant of the 224×224 code, at this height. */
  sy(px: number): number {
    return pyRound((px * this.h) / REFERENCE_SIZE);
  }

  /** Two ellipses of equal axes on landmarks i and j. */
  pair(i: number, j: number, rx: number, ry: number): Ellipse[] {
    return [this.at(i), this.at(j)].map(({ x, y }) => ({ cx: x, cy: y, rx, ry }));
  }

  /** Two ellipses of the code's fixed 20-px circle size, at the given centres. */
  circles20(...centres: Point[]): Ellipse[] {
    return centres.map(({ x, y }) => ({ cx: x, cy: y, rx: this.sx(20), ry: this.sy(20) }));
  }

  /**
   * The ellipse spanning x0..x1 and y0..y1: centre at the truncated midpoints, semi-axes half the (possibly
   * negative) extents clamped at 0; a zero semi-axis becomes the fallback, when there is one.
   */
  span(x0: number, x1: number, y0: number, y1: number, fallback?: number, extraY = 0): Ellipse {
    let rx = Math.max(int((x1 - x0) / 2), 0);
    let ry = Math.max(int((y1 - y0 + extraY) / 2), 0);
    if (fallback !== undefined) {
      if (rx === 0) rx = this.sx(fallback);
      if (ry === 0) ry = this.sy(fallback);
    }
    return { cx: int((x0 + x1) / 2), cy: int((y0 + y1) / 2), rx, ry };
  }

  /** Both eyes' boxes (corners 36/39 and 42/45, lids 38/41 and 44/47), shared by AU5, AU7 and AU43. */
  eyes(fallback: number | undefined, extraY: number): Ellipse[] {
    const boxes = [
      [36, 39, 38, 41],
      [42, 45, 44, 47],
    ] as const;
    return boxes.map(([l, r, t, b]) =>
      this.span(this.at(l).x, this.at(r).x, this.at(t).y, this.at(b).y, fallback, extraY),
    );
  }

  /** The mouth box (corners 48/54, lips 51/57), shared by AU23, AU24, AU26 and AU27. */
  mouth(): Ellipse[] {
    return [this.span(this.at(48).x, this.at(54).x, this.at(51).y, this.at(57).y, 5)];
  }

  /** Midpoint of two landmarks, truncated as in the code. */
  mid(i: number, j: number): Point {
    const a = this.at(i);
    const b = this.at(j);
    return { x: int((a.x + b.x) / 2), y: int((a.y + b.y) / 2) };
  }
}

interface AuShape {
  readonly name: string;
  readonly draw: (f: Frame) => Ellipse[];
}

const SHAPES: ReadonlyMap<number, AuShape> = new Map<number, AuShape>([
  [1, { name: 'Inner Brow Raiser', draw: (f) => f.pair(20, 23, pyRound(f.w / 8), pyRound(f.h / 10)) }],
  [2, { name: 'Outer Brow Raiser', draw: (f) => f.pair(18, 25, pyRound(f.w / 8), pyRound(f.h / 10)) }],
  [4, { name: 'Brow Lowerer', draw: (f) => [f.span(f.at(19).x, f.at(24).x, f.at(19).y, f.at(24).y, 10)] }],
  [5, { name: 'Upper Lid Raiser', draw: (f) => f.eyes(5, 0) }],
  [
    6,
    {
      name: 'Cheek Raiser',
      draw: (f) =>
        [f.at(41), f.at(46)].map((q) => ({
          cx: q.x,
          cy: q.y + pyRound(f.h / 6),
          rx: pyRound(f.w / 10),
          ry: pyRound(f.h / 10),
        })),
    },
  ],
  [7, { name: 'Lid Tightener', draw: (f) => f.eyes(5, f.sy(20)) }],
  [
    9,
    {
      name: 'Nose Wrinkler',
      draw: (f) => f.circles20({ x: f.at(31).x, y: f.at(29).y }, { x: f.at(35).x, y: f.at(29).y }),
    },
  ],
  [
    10,
    {
      name: 'Upper Lip Raiser',
      draw: (f) => f.circles20({ x: f.at(48).x, y: f.at(50).y }, { x: f.at(52).x, y: f.at(54).y }),
    },
  ],
  [12, { name: 'Lip Corner Puller', draw: (f) => f.circles20(f.at(48), f.at(54)) }],
  [
    14,
    {
      name: 'Dimpler',
      draw: (f) =>
        f.circles20(
          { x: Math.max(f.at(48).x - f.sx(20), 0), y: f.at(48).y },
          { x: Math.min(f.at(54).x + f.sx(20), f.w), y: f.at(54).y },
        ),
    },
  ],
  [15, { name: 'Lip Corner Depressor', draw: (f) => f.circles20(f.at(48), f.at(54)) }],
  [16, { name: 'Lower Lip Depressor', draw: (f) => f.circles20(f.at(59), f.at(55)) }],
  [17, { name: 'Chin Raiser', draw: (f) => [f.span(f.at(59).x, f.at(8).x, f.at(59).y, f.at(8).y, 5)] }],
  [20, { name: 'Lip Stretcher', draw: (f) => f.circles20(f.mid(48, 6), f.mid(50, 10)) }],
  [23, { name: 'Lip Tightener', draw: (f) => f.mouth() }],
  [24, { name: 'Lip Pressor', draw: (f) => f.mouth() }],
  [25, { name: 'Lips Part', draw: (f) => f.pair(51, 57, f.sx(25), f.sy(10)) }],
  [26, { name: 'Jaw Drop', draw: (f) => f.mouth() }],
  [27, { name: 'Mouth Stretcher', draw: (f) => f.mouth() }],
  [43, { name: 'Eyes Closed', draw: (f) => f.eyes(undefined, f.sy(20)) }],
]);

/** FACS number → name, for every AU that has a geometry. */
export const AU_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries([...SHAPES].map(([facs, shape]) => [facs, shape.name])),
);

/** FACS numbers with a geometry, ascending. */
export const SUPPORTED_AUS: readonly number[] = Object.freeze([...SHAPES.keys()].sort((a, b) => a - b));

export function hasAuGeometry(facs: number): boolean {
  return SHAPES.has(facs);
}

/** "AU1, AU2, …" for error messages. */
export function supportedAuList(): string {
  return SUPPORTED_AUS.map((n) => `AU${n}`).join(', ');
}

/**
 * The ellipses of one AU for a face of `width`×`height` pixels. Centres are integer pixel indices and semi-axes
 * integer pixels, exactly as the code passes them to cv2.ellipse.
 */
export function auEllipses(facs: number, landmarks: Landmarks68, width: number, height: number): Ellipse[] {
  const shape = SHAPES.get(facs);
  if (!shape) throw new RangeError(`no geometry is defined for AU${facs}; supported: ${supportedAuList()}`);
  if (landmarks.length !== 68) {
    throw new RangeError(`AU geometry needs the 68 iBUG landmarks, got ${landmarks.length} points`);
  }
  return shape.draw(new Frame(landmarks, width, height));
}
