/**
 * The face-finding cascade with stand-in strategies: which ones run on an image of a given size, and the first with
 * a plausible face wins, keeping only its plausible faces.
 */
import assert from 'node:assert/strict';
import type { FaceStrategy } from '../../../src/trainer/io/faceStrategy';
import { detectorApplies, firstPlausible, SSD_MAX_FACE_FRACTION, SSD_MIN_FACE_SIDE } from '../../../src/trainer/io/faceStrategy';
import type { CheckedFace } from '../../../src/trainer/science/faceCheck';
import { shiftFace, syntheticFace } from '../../helpers/syntheticFace';

interface Named extends CheckedFace {
  readonly name: string;
}

/** A plausible face at (x, y) in its 172-px box (the synthetic face of a 224 frame), or one in a box 3× too large. */
function faceAt(name: string, x: number, y: number, plausible = true): Named {
  const landmarks = shiftFace(syntheticFace(224), x, y);
  const box = { x: x + 26, y: y + 26, width: 172, height: 172 };
  return { name, landmarks, box: plausible ? box : { x: box.x - 172, y: box.y - 172, width: 516, height: 516 } };
}

function strategy(faces: Named[], calls: string[], label: string, applies = (): boolean => true): FaceStrategy<Named> {
  return {
    applies,
    maxOverhang: 0,
    find: async () => {
      calls.push(label);
      return faces;
    },
  };
}

describe('io/faceStrategy: the first strategy with a plausible face wins', () => {
  it('runs SSD only on images that can hold a face it finds (shorter side ≥ 64 px)', () => {
    assert.equal(SSD_MIN_FACE_SIDE / SSD_MAX_FACE_FRACTION, 64);
    assert.equal(detectorApplies(64, 64), true);
    assert.equal(detectorApplies(1000, 63), false);
    assert.equal(detectorApplies(48, 48), false);
  });

  it('keeps the first strategy\'s plausible faces and does not run the others', async () => {
    const calls: string[] = [];
    const found = await firstPlausible(
      [
        strategy([faceAt('a', 0, 0), faceAt('bad', 300, 0, false), faceAt('b', 500, 300)], calls, 'first'),
        strategy([faceAt('c', 0, 0)], calls, 'second'),
      ],
      1000,
      800,
    );
    assert.deepEqual(found.map((f) => f.name), ['a', 'b']);
    assert.deepEqual(calls, ['first']);
  });

  it('falls back when a strategy finds nothing or nothing plausible, and skips those that do not apply', async () => {
    const calls: string[] = [];
    const found = await firstPlausible(
      [
        strategy([faceAt('never', 0, 0)], calls, 'too small', () => false),
        strategy([], calls, 'none'),
        strategy([faceAt('bad', 100, 100, false)], calls, 'implausible'),
        strategy([faceAt('ok', 100, 100)], calls, 'fallback'),
      ],
      400,
      400,
    );
    assert.deepEqual(found.map((f) => f.name), ['ok']);
    assert.deepEqual(calls, ['none', 'implausible', 'fallback']);
  });

  it('finds nothing when no strategy has a plausible face', async () => {
    assert.deepEqual(await firstPlausible([strategy([faceAt('bad', 0, 0, false)], [], 'only')], 400, 400), []);
  });
});
