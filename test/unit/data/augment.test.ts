import assert from 'node:assert/strict';
import type { AugmentationConfig, AugmentationDraw, TransformInput } from '../../../src/trainer/data/augment';
import { applyAugmentation, augmentSample, baseSideFor, evalTransformSample, PAPER_AUGMENTATION, sampleAugmentation } from '../../../src/trainer/data/augment';
import { IMAGENET_NORMALISATION } from '../../../src/trainer/models/modelInfo';
import { hflipAffine, composeAffine, resizeAffine, warpMap } from '../../../src/trainer/science/geometry';
import { mulberry32 } from '../../../src/trainer/science/random';
import { faceFreeRaw } from '../io/fixtures';

const S = 64;
const B = baseSideFor(S);

/** Geometry only: no colour change and no erasing, so the image can be compared with the map. */
const GEOMETRY_ONLY: AugmentationConfig = { ...PAPER_AUGMENTATION, grayscaleP: 0, jitterP: 0, erasingP: 0 };

/** Black base with a white square; the AU map is 1 on exactly the same pixels. */
function squareSample(x0 = 20, y0 = 24, side = 28): TransformInput {
  const rgb = new Uint8Array(B * B * 3);
  const au = new Float32Array(B * B);
  for (let y = y0; y < y0 + side; y++) {
    for (let x = x0; x < x0 + side; x++) {
      au[y * B + x] = 1;
      rgb.fill(255, (y * B + x) * 3, (y * B + x) * 3 + 3);
    }
  }
  return { side: B, rgb, au };
}

/** A colourful base (gradients and waves) so every transform changes something, and a diagonal ramp map. */
function texturedSample(): TransformInput {
  const rgb = new Uint8Array(faceFreeRaw(B, B));
  const au = new Float32Array(B * B).map((_, i) => ((i % B) + Math.floor(i / B)) / (2 * B));
  return { side: B, rgb, au };
}

/** Back to the [0, 1] scale: value · std + mean. */
function denormalised(image: Float32Array, channel: number, i: number): number {
  return image[channel * S * S + i]! * IMAGENET_NORMALISATION.std[channel]! + IMAGENET_NORMALISATION.mean[channel]!;
}

function plainDraw(overrides: Partial<AugmentationDraw>): AugmentationDraw {
  return {
    rotation: null,
    crop: { x: 0, y: 0, side: B },
    flip: false,
    grayscale: false,
    jitter: null,
    erasing: null,
    affine: resizeAffine(B, B, S, S),
    ...overrides,
  };
}

function applyDraw(input: TransformInput, draw: AugmentationDraw, seed = 1): { image: Float32Array; map: Float32Array } {
  const image = new Float32Array(3 * S * S);
  const map = new Float32Array(S * S);
  applyAugmentation(input, S, draw, mulberry32(seed), { image, imageOffset: 0, map, mapOffset: 0 });
  return { image, map };
}

describe('data/augment', () => {
  it('keeps the paper\'s 256:224 base ratio', () => {
    assert.equal(baseSideFor(224), 256);
    assert.equal(baseSideFor(64), 73);
    assert.equal(baseSideFor(96), 110);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const input = texturedSample();
    const a = augmentSample(input, S, mulberry32(42));
    const b = augmentSample(input, S, mulberry32(42));
    const c = augmentSample(input, S, mulberry32(43));
    assert.deepEqual(a.image, b.image);
    assert.deepEqual(a.map, b.map);
    assert.deepEqual(a.draw, b.draw);
    assert.notDeepEqual(a.image, c.image);
  });

  it('draws each step with the paper\'s probabilities and ranges', () => {
    const n = 4000;
    const random = mulberry32(7);
    const count = { rotation: 0, flip: 0, grayscale: 0, jitter: 0, erasing: 0 };
    for (let i = 0; i < n; i++) {
      const d = sampleAugmentation(random, B, S);
      if (d.rotation !== null) {
        count.rotation++;
        assert.ok(Math.abs(d.rotation) <= 6);
      }
      assert.ok(d.crop.side * d.crop.side >= 0.8 * B * B - 2 * B && d.crop.side <= B, `crop side ${d.crop.side}`);
      assert.ok(d.crop.x >= 0 && d.crop.y >= 0 && d.crop.x + d.crop.side <= B && d.crop.y + d.crop.side <= B);
      if (d.flip) count.flip++;
      if (d.grayscale) count.grayscale++;
      if (d.jitter) {
        count.jitter++;
        assert.deepEqual([...d.jitter.order].sort(), ['brightness', 'contrast', 'hue', 'saturation']);
        assert.ok(d.jitter.brightness >= 0.6 && d.jitter.brightness <= 1.4 && Math.abs(d.jitter.hue) <= 0.1);
      }
      if (d.erasing) {
        count.erasing++;
        const area = d.erasing.width * d.erasing.height;
        assert.ok(area >= 0.01 * S * S && area <= 0.4 * S * S, `erased area ${area}`);
        assert.ok(d.erasing.x + d.erasing.width <= S && d.erasing.y + d.erasing.height <= S);
      }
    }
    const near = (k: number, p: number): boolean => Math.abs(k / n - p) < 0.03;
    assert.ok(near(count.rotation, 0.5) && near(count.flip, 0.5) && near(count.grayscale, 0.2), JSON.stringify(count));
    assert.ok(near(count.jitter, 0.8) && near(count.erasing, 0.5), JSON.stringify(count));
  });

  it('moves the AU map with the image: a bright square stays on the map\'s support', () => {
    const input = squareSample();
    for (let seed = 0; seed < 40; seed++) {
      const { image, map, draw } = augmentSample(input, S, mulberry32(seed), GEOMETRY_ONLY);
      let agree = 0;
      let support = 0;
      for (let i = 0; i < S * S; i++) {
        const bright = denormalised(image, 0, i) > 0.5;
        const onMap = map[i]! > 0.5;
        if (bright === onMap) agree++;
        if (onMap) support++;
      }
      assert.ok(support > 0.1 * S * S, `seed ${seed}: the square left the crop`);
      // Only the square's one-pixel rim may disagree (bilinear vs nearest at the edge).
      assert.ok(agree / (S * S) > 0.97, `seed ${seed} (${JSON.stringify({ ...draw, affine: undefined })}): ${agree}/${S * S} pixels agree`);
    }
  });

  it('gives the map the same geometry whatever the photometric steps do', () => {
    const input = texturedSample();
    for (let seed = 0; seed < 20; seed++) {
      const full = augmentSample(input, S, mulberry32(seed));
      const geometric = augmentSample(input, S, mulberry32(seed), GEOMETRY_ONLY);
      assert.deepEqual(full.draw.affine, geometric.draw.affine);
      assert.deepEqual(full.map, geometric.map, `seed ${seed}`);
      assert.ok(full.map.every((v) => v >= 0 && v <= 1));
    }
  });

  it('warps the image with geometry.warpMap\'s bilinear sampling (fill 0) and the map with its nearest', () => {
    const input = texturedSample();
    const { image, map, draw } = augmentSample(input, S, mulberry32(3), { ...GEOMETRY_ONLY, rotationP: 1 });
    assert.notEqual(draw.rotation, null);
    for (let ch = 0; ch < 3; ch++) {
      const plane = new Float32Array(B * B).map((_, i) => input.rgb[i * 3 + ch]! / 255);
      const expected = warpMap({ width: B, height: B, data: plane }, draw.affine, S, S, 'bilinear', 0);
      for (let i = 0; i < S * S; i++) assert.ok(Math.abs(denormalised(image, ch, i) - expected.data[i]!) < 1e-5, `channel ${ch} pixel ${i}`);
    }
    const expectedMap = warpMap({ width: B, height: B, data: input.au! }, draw.affine, S, S, 'nearest', 0);
    assert.deepEqual(map, expectedMap.data);
  });

  it('flips image and map horizontally together', () => {
    const input = texturedSample();
    const plain = applyDraw(input, plainDraw({}));
    const flipped = applyDraw(input, plainDraw({ flip: true, affine: composeAffine(resizeAffine(B, B, S, S), hflipAffine(S)) }));
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const a = y * S + x;
        const b = y * S + (S - 1 - x);
        for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(flipped.image[ch * S * S + a]! - plain.image[ch * S * S + b]!) < 1e-4);
        assert.equal(flipped.map[a], plain.map[b]);
      }
    }
  });

  it('normalises with the ImageNet statistics into planar CHW', () => {
    const rgb = new Uint8Array(B * B * 3);
    for (let i = 0; i < B * B; i++) rgb.set([255, 51, 0], i * 3);
    const { image, map } = evalTransformSample({ side: B, rgb }, S);
    const expected = [(1 - 0.485) / 0.229, (0.2 - 0.456) / 0.224, (0 - 0.406) / 0.225];
    for (let ch = 0; ch < 3; ch++) {
      for (let i = 0; i < S * S; i++) assert.ok(Math.abs(image[ch * S * S + i]! - expected[ch]!) < 1e-5, `channel ${ch}`);
    }
    assert.ok(map.every((v) => v === 0), 'no map gives zeros');
  });

  it('eval: resizes the map with centred nearest and is deterministic', () => {
    const input = squareSample();
    const a = evalTransformSample(input, S);
    const b = evalTransformSample(input, S);
    assert.deepEqual(a, b);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const sx = Math.floor(((x + 0.5) * B) / S);
        const sy = Math.floor(((y + 0.5) * B) / S);
        assert.equal(a.map[y * S + x], input.au![sy * B + sx]);
      }
    }
  });

  it('erases a rectangle of the image only, with N(0, 1) values on the [0, 1] scale', () => {
    const input = texturedSample();
    const erasing = { x: 10, y: 12, width: 30, height: 20 };
    const plain = applyDraw(input, plainDraw({}));
    const erased = applyDraw(input, plainDraw({ erasing }), 5);
    assert.deepEqual(erased.map, plain.map);
    const values: number[] = [];
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const i = ch * S * S + y * S + x;
          const inside = x >= erasing.x && x < erasing.x + erasing.width && y >= erasing.y && y < erasing.y + erasing.height;
          if (inside) values.push(denormalised(erased.image, ch, y * S + x));
          else assert.equal(erased.image[i], plain.image[i]);
        }
      }
    }
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean) < 0.1 && Math.abs(std - 1) < 0.1, `erased values: mean ${mean}, std ${std}`);
  });

  it('grayscale makes the three channels equal; a hue turn of 1/3 takes red to green', () => {
    const gray = applyDraw(texturedSample(), plainDraw({ grayscale: true }));
    for (let i = 0; i < S * S; i++) {
      const r = denormalised(gray.image, 0, i);
      assert.ok(Math.abs(denormalised(gray.image, 1, i) - r) < 1e-5 && Math.abs(denormalised(gray.image, 2, i) - r) < 1e-5);
    }
    const red = new Uint8Array(B * B * 3);
    for (let i = 0; i < B * B; i++) red[i * 3] = 255;
    const jitter = { order: ['hue'] as const, brightness: 1, contrast: 1, saturation: 1, hue: 1 / 3 };
    const green = applyDraw({ side: B, rgb: red }, plainDraw({ jitter }));
    const centre = (S / 2) * S + S / 2;
    assert.ok(Math.abs(denormalised(green.image, 0, centre)) < 1e-5);
    assert.ok(Math.abs(denormalised(green.image, 1, centre) - 1) < 1e-5);
    assert.ok(Math.abs(denormalised(green.image, 2, centre)) < 1e-5);
  });

  it('brightness, contrast and saturation follow torchvision\'s blends', () => {
    const rgb = new Uint8Array(B * B * 3);
    for (let i = 0; i < B * B; i++) rgb.set([200, 100, 50], i * 3);
    const c = [200 / 255, 100 / 255, 50 / 255];
    const grayOf = 0.2989 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
    const cases: [AugmentationDraw['jitter'], number[]][] = [
      [{ order: ['brightness'], brightness: 1.3, contrast: 1, saturation: 1, hue: 0 }, c.map((v) => Math.min(1, v * 1.3))],
      [{ order: ['contrast'], brightness: 1, contrast: 0.5, saturation: 1, hue: 0 }, c.map((v) => 0.5 * v + 0.5 * grayOf)],
      [{ order: ['saturation'], brightness: 1, contrast: 1, saturation: 0, hue: 0 }, c.map(() => grayOf)],
    ];
    for (const [jitter, expected] of cases) {
      const { image } = applyDraw({ side: B, rgb }, plainDraw({ jitter }));
      const centre = (S / 2) * S + S / 2;
      for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(denormalised(image, ch, centre) - expected[ch]!) < 1e-5, `${jitter!.order[0]} channel ${ch}`);
    }
  });
});
