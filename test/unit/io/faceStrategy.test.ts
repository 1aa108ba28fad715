/**
 * The face-finding cascade with stand-in strategies: which ones run on an image of a given size, and the first with
 * a plausible face wins, keeping only its plausible faces.
 */
import assert from 'node:assert/strict';
import type { FaceStrategy } from '../../../src/trainer/io/faceStrategy';
import { detectorApplies, faceStrategies, firstPlausible, SSD_MAX_FACE_FRACTION, SSD_MIN_FACE_SIDE } from '../../../src/trainer/io/faceStrategy';
import type { CheckedFace } from '../../../src/trainer/science/faceCheck';
import { shiftFace, syntheticFace } from '../../helpers/syntheticFace';

interface Named extends CheckedFace {
  readonly name: string;
}

/**
 * A plausible face at (x, y) in its box (the synthetic face of a frame of `frame` px, in the middle 1/1.3 of it), or
 * one in a box 3× too large.
 */
function faceAt(name: string, x: number, y: number, plausible = true, frame = 224): Named {
  const landmarks = shiftFace(syntheticFace(frame), x, y);
  const side = frame / 1.3;
  const box = { x: x + (frame - side) / 2, y: y + (frame - side) / 2, width: side, height: side };
  return { name, landmarks, box: plausible ? box : { x: box.x - side, y: box.y - side, width: 3 * side, height: 3 * side } };
}

/** Finders that record their calls and answer with the given faces. */
function finders(answers: { detector?: Named[]; padded?: Named[]; wholeImage?: Named[] }, calls: string[]): Parameters<typeof faceStrategies<Named>>[0] {
  const finder = (name: 'detector' | 'padded' | 'wholeImage') => async (): Promise<Named[]> => {
    calls.push(name);
    return answers[name] ?? [];
  };
  return { detector: finder('detector'), padded: finder('padded'), wholeImage: finder('wholeImage') };
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
  it('puts SSD first on images whose shorter side (≥ 64 px) can hold a face it finds', () => {
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

  it('photos (≥ 64 px): SSD first, then the padded search, then the whole image', async () => {
    let calls: string[] = [];
    const photo = await firstPlausible(faceStrategies(finders({ detector: [faceAt('ssd', 10, 10)], padded: [faceAt('pad', 10, 10)] }, calls)), 400, 400);
    assert.deepEqual([photo.map((f) => f.name), calls], [['ssd'], ['detector']]);
    calls = [];
    const crop = await firstPlausible(faceStrategies(finders({ padded: [faceAt('pad', 0, 0)], wholeImage: [faceAt('whole', 0, 0)] }, calls)), 224, 224);
    assert.deepEqual([crop.map((f) => f.name), calls], [['pad'], ['detector', 'padded']]);
    calls = [];
    const whole = await firstPlausible(faceStrategies(finders({ wholeImage: [faceAt('whole', 0, 0)] }, calls)), 224, 224);
    assert.deepEqual([whole.map((f) => f.name), calls], [['whole'], ['detector', 'padded', 'wholeImage']]);
  });

  it('small images: a tight crop is taken from the padded search alone; a small face there asks SSD first', async () => {
    // A 48-px crop filled by its face (FER2013, CK+48): SSD is never run.
    let calls: string[] = [];
    const tight = await firstPlausible(faceStrategies(finders({ detector: [faceAt('ssd', 0, 0, true, 48)], padded: [faceAt('pad', 0, 0, true, 48)] }, calls)), 48, 48);
    assert.deepEqual([tight.map((f) => f.name), calls], [['pad'], ['padded']]);
    // A 20-px face in a 60-px picture: SSD's answer wins if plausible, else the padded one (searched only once).
    const small = (): Named => faceAt('pad', 20, 20, true, 20);
    calls = [];
    const portrait = await firstPlausible(faceStrategies(finders({ detector: [faceAt('ssd', 21, 20, true, 20)], padded: [small()] }, calls)), 60, 60);
    assert.deepEqual([portrait.map((f) => f.name), calls], [['ssd'], ['padded', 'detector']]);
    calls = [];
    const fallback = await firstPlausible(faceStrategies(finders({ padded: [small()] }, calls)), 60, 60);
    assert.deepEqual([fallback.map((f) => f.name), calls], [['pad'], ['padded', 'detector']]);
  });

  it('finds nothing when no strategy has a plausible face', async () => {
    assert.deepEqual(await firstPlausible([strategy([faceAt('bad', 0, 0, false)], [], 'only')], 400, 400), []);
  });
});
