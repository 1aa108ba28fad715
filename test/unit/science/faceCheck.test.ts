/**
 * The plausibility check of a detected face: each rule on a synthetic frontal face moved just past its bound, so
 * the stated thresholds are the ones applied; and the tight-crop rule.
 */
import assert from 'node:assert/strict';
import type { CheckedFace } from '../../../src/trainer/science/faceCheck';
import {
  boxOverhang, checkFace, IOD_TO_BOX_WIDTH, isTightCrop, JAW_WIDTH, LANDMARK_FILL, MAX_CENTRE_OFFSET, MAX_MOUTH_OFFSET, MAX_ROLL_DEGREES,
  MOUTH_DROP, NOSE_DROP, TIGHT_CROP_SPAN,
} from '../../../src/trainer/science/faceCheck';
import type { Box, Point } from '../../../src/trainer/science/types';
import { shiftFace, syntheticFace, withLandmarks } from '../../helpers/syntheticFace';

/** The synthetic face of a 224 frame sits in the paper's box: the frame shrunk by 1.3 about its centre. */
const FRAME = 224;
const BOX: Box = { x: (FRAME - FRAME / 1.3) / 2, y: (FRAME - FRAME / 1.3) / 2, width: FRAME / 1.3, height: FRAME / 1.3 };
const IMAGE = 400;

function face(landmarks: readonly Point[] = syntheticFace(FRAME), box: Box = BOX): CheckedFace {
  return { box, landmarks };
}

/** The face rotated by `degrees` about the frame's centre. */
function rotated(landmarks: readonly Point[], degrees: number): Point[] {
  const a = (degrees * Math.PI) / 180;
  const c = FRAME / 2;
  return landmarks.map((p) => ({ x: c + (p.x - c) * Math.cos(a) - (p.y - c) * Math.sin(a), y: c + (p.x - c) * Math.sin(a) + (p.y - c) * Math.cos(a) }));
}

const mean = (ps: readonly Point[]): Point => ({ x: ps.reduce((s, p) => s + p.x, 0) / ps.length, y: ps.reduce((s, p) => s + p.y, 0) / ps.length });
const base = syntheticFace(FRAME);
const eyeY = mean(base.slice(36, 48)).y;
const iod = mean(base.slice(42, 48)).x - mean(base.slice(36, 42)).x;

/** The mouth's 20 points moved so that their centre is `drop` IOD below the eye line and `offset` IOD sideways. */
function mouthAt(drop: number, offset = 0): Point[] {
  const m = mean(base.slice(48, 68));
  const dx = FRAME / 2 + offset * iod - m.x;
  const dy = eyeY + drop * iod - m.y;
  return base.map((p, i) => (i >= 48 ? { x: p.x + dx, y: p.y + dy } : p));
}

describe('science/faceCheck: is a detected face plausible?', () => {
  it('passes a frontal face in its box, also tilted within the bound', () => {
    assert.deepEqual(checkFace(face(), IMAGE, IMAGE, 0), []);
    assert.deepEqual(checkFace(face(rotated(base, MAX_ROLL_DEGREES - 5)), IMAGE, IMAGE, 0), []);
    assert.deepEqual(checkFace(face(rotated(base, -(MAX_ROLL_DEGREES - 5))), IMAGE, IMAGE, 0), []);
  });

  it('rejects a box past the image beyond the strategy\'s tolerance', () => {
    // Moved 70 px left: the 172-px box starting at x = 26 reaches 44 px (0.26 of its side) past the left edge.
    const left = { ...BOX, x: BOX.x - 70 };
    const moved = face(shiftFace(base, -70, 0), left);
    assert.ok(Math.abs(boxOverhang(left, IMAGE, IMAGE) - (70 - BOX.x) / BOX.width) < 1e-12);
    assert.deepEqual(checkFace(moved, IMAGE, IMAGE, 0.3), []);
    assert.deepEqual(checkFace(moved, IMAGE, IMAGE, 0.2), ['box-outside-image']);
  });

  it('rejects an eye line tilted past the bound, or upside down', () => {
    assert.ok(checkFace(face(rotated(base, MAX_ROLL_DEGREES + 5)), IMAGE, IMAGE, 0).includes('eye-line-tilted'));
    assert.ok(checkFace(face(rotated(base, 180)), IMAGE, IMAGE, 0).includes('eye-line-tilted'));
  });

  it('rejects a nose or mouth outside their bands below the eyes', () => {
    const nose = (drop: number): Point[] => withLandmarks(base, { 30: { x: FRAME / 2, y: eyeY + drop * iod } });
    assert.ok(!checkFace(face(nose(NOSE_DROP[0] + 0.02)), IMAGE, IMAGE, 0).includes('nose-misplaced'));
    assert.ok(checkFace(face(nose(NOSE_DROP[0] - 0.02)), IMAGE, IMAGE, 0).includes('nose-misplaced'));
    assert.ok(checkFace(face(nose(-0.5)), IMAGE, IMAGE, 0).includes('nose-misplaced'));
    assert.ok(!checkFace(face(mouthAt(MOUTH_DROP[0] + 0.3)), IMAGE, IMAGE, 0).includes('mouth-misplaced'));
    assert.ok(checkFace(face(mouthAt(MOUTH_DROP[0] - 0.02)), IMAGE, IMAGE, 0).includes('mouth-misplaced'));
    assert.ok(checkFace(face(mouthAt(MOUTH_DROP[1] + 0.02)), IMAGE, IMAGE, 0).includes('mouth-misplaced'));
    assert.ok(!checkFace(face(mouthAt(1.1, MAX_MOUTH_OFFSET - 0.02)), IMAGE, IMAGE, 0).includes('mouth-misplaced'));
    assert.ok(checkFace(face(mouthAt(1.1, MAX_MOUTH_OFFSET + 0.02)), IMAGE, IMAGE, 0).includes('mouth-misplaced'));
  });

  it('rejects a jaw too narrow or too wide for the eyes', () => {
    const jaw = (width: number): Point[] =>
      withLandmarks(base, { 0: { x: FRAME / 2 - (width * iod) / 2, y: base[0]!.y }, 16: { x: FRAME / 2 + (width * iod) / 2, y: base[16]!.y } });
    assert.ok(!checkFace(face(jaw(JAW_WIDTH[0] + 0.05)), IMAGE, IMAGE, 0).includes('jaw-width'));
    assert.ok(checkFace(face(jaw(JAW_WIDTH[0] - 0.05)), IMAGE, IMAGE, 0).includes('jaw-width'));
    assert.ok(checkFace(face(jaw(JAW_WIDTH[1] + 0.05)), IMAGE, IMAGE, 0).includes('jaw-width'));
  });

  it('rejects a box much larger or smaller than the face its landmarks outline', () => {
    // The same landmarks in a box k times the size about the same centre: IOD / width falls as 1/k.
    const scaled = (k: number): Box => ({ x: FRAME / 2 - (k * BOX.width) / 2, y: FRAME / 2 - (k * BOX.height) / 2, width: k * BOX.width, height: k * BOX.height });
    const ratio = iod / BOX.width;
    const justInside = ratio / (IOD_TO_BOX_WIDTH[0] + 0.01);
    assert.ok(!checkFace(face(base, scaled(justInside)), IMAGE, IMAGE, 1).includes('box-size'));
    assert.ok(checkFace(face(base, scaled(ratio / (IOD_TO_BOX_WIDTH[0] - 0.01))), IMAGE, IMAGE, 1).includes('box-size'));
    assert.ok(checkFace(face(base, scaled(ratio / (IOD_TO_BOX_WIDTH[1] + 0.01))), IMAGE, IMAGE, 1).includes('box-size'));
    // The landmarks fill √(their box's area / the box's area) of the box; a box k times larger, 1/k of that.
    const fill = Math.sqrt(((0.82 - 0.18) * FRAME * (0.935 - 0.31) * FRAME) / (BOX.width * BOX.height));
    assert.ok(!checkFace(face(base, scaled(fill / (LANDMARK_FILL[0] + 0.01))), IMAGE, IMAGE, 1).includes('landmarks-fill'));
    assert.ok(checkFace(face(base, scaled(fill / (LANDMARK_FILL[0] - 0.01))), IMAGE, IMAGE, 1).includes('landmarks-fill'));
    assert.ok(checkFace(face(base, scaled(fill / (LANDMARK_FILL[1] + 0.01))), IMAGE, IMAGE, 1).includes('landmarks-fill'));
  });

  it('rejects landmarks far from the box centre', () => {
    const off = { ...BOX, y: BOX.y - (MAX_CENTRE_OFFSET + 0.05) * BOX.height };
    assert.ok(checkFace(face(base, off), IMAGE, IMAGE, 1).includes('landmarks-off-centre'));
  });

  it('rejects non-finite or missing points and empty boxes', () => {
    assert.deepEqual(checkFace(face(withLandmarks(base, { 5: { x: Number.NaN, y: 1 } })), IMAGE, IMAGE, 0), ['not-finite']);
    assert.deepEqual(checkFace(face(base.slice(0, 67)), IMAGE, IMAGE, 0), ['not-finite']);
    assert.deepEqual(checkFace(face(base, { ...BOX, width: 0 }), IMAGE, IMAGE, 0), ['not-finite']);
  });

  it('calls a face whose landmarks span most of the image a tight crop', () => {
    const span = (0.82 - 0.18) * FRAME;
    assert.equal(isTightCrop(base, span / TIGHT_CROP_SPAN - 1, FRAME), true);
    assert.equal(isTightCrop(base, span / TIGHT_CROP_SPAN + 1, FRAME), false);
    assert.equal(isTightCrop(base, IMAGE, IMAGE), false);
  });
});
