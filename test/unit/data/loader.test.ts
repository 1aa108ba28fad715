import assert from 'node:assert/strict';
import { augmentSample, baseSideFor, evalTransformSample } from '../../../src/trainer/data/augment';
import type { Batch } from '../../../src/trainer/data/loader';
import { BatchLoader } from '../../../src/trainer/data/loader';
import type { PreparedSample } from '../../../src/trainer/data/prepare';
import { deriveSeed, mulberry32 } from '../../../src/trainer/science/random';

const S = 16;
const B = baseSideFor(S);

/** Sample i: a flat colour that encodes i, label i % 3, an AU map on the even ones. */
function samples(n: number): PreparedSample[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `/data/s${i}.png`,
    label: i % 3,
    side: B,
    rgb: new Uint8Array(B * B * 3).fill(i * 10),
    ...(i % 2 === 0 && { au: new Float32Array(B * B).fill(0.5) }),
  }));
}

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of iterable) out.push(b);
  return out;
}

describe('data/loader BatchLoader', () => {
  it('training: full batches only, each sample at most once per epoch, labels and validity from the samples', async () => {
    const data = samples(10);
    const loader = new BatchLoader(data, { batchSize: 4, inputSize: S, mode: 'train', seed: 3 });
    assert.equal(loader.batchesPerEpoch, 2);
    const batches = await collect(loader.epoch(0));
    assert.equal(batches.length, 2);
    const seen = new Set<number>();
    for (const b of batches) {
      assert.equal(b.count, 4);
      assert.equal(b.image.length, 4 * 3 * S * S);
      assert.equal(b.auMaps.length, 4 * S * S);
      assert.equal(b.labels.length, 4);
      assert.equal(b.paths.length, 4);
      b.indices.forEach((index, k) => {
        assert.ok(!seen.has(index), `sample ${index} twice`);
        seen.add(index);
        assert.equal(b.labels[k], BigInt(data[index]!.label));
        assert.equal(b.auValid[k], data[index]!.au ? 1 : 0);
        assert.equal(b.paths[k], data[index]!.path);
      });
    }
    assert.equal(seen.size, 8, 'the incomplete last batch is dropped');
  });

  it('training: each slot holds that sample\'s augmentation from its (seed, epoch, position) stream', async () => {
    const data = samples(10);
    const loader = new BatchLoader(data, { batchSize: 4, inputSize: S, mode: 'train', seed: 3 });
    const [first] = await collect(loader.epoch(2));
    const position = 1;
    const expected = augmentSample(data[first!.indices[position]!]!, S, mulberry32(deriveSeed(3, 2, 2, position)));
    const plane = S * S;
    assert.deepEqual(first!.image.subarray(position * 3 * plane, (position + 1) * 3 * plane), expected.image);
    assert.deepEqual(first!.auMaps.subarray(position * plane, (position + 1) * plane), expected.map);
  });

  it('training: reproducible per (seed, epoch), reshuffled between epochs', async () => {
    const data = samples(24);
    const make = (seed: number): BatchLoader => new BatchLoader(data, { batchSize: 4, inputSize: S, mode: 'train', seed });
    const a = await collect(make(1).epoch(5));
    const b = await collect(make(1).epoch(5));
    assert.deepEqual(a, b);
    assert.notDeepEqual(make(1).order(5), make(1).order(6));
    assert.notDeepEqual(make(1).order(5), make(2).order(5));
    assert.deepEqual([...make(1).order(5)].sort((x, y) => x - y), data.map((_, i) => i));
  });

  it('resumes inside an epoch with exactly the remaining batches', async () => {
    const loader = new BatchLoader(samples(20), { batchSize: 4, inputSize: S, mode: 'train', seed: 9 });
    const full = await collect(loader.epoch(1));
    const resumed = loader.epoch(1, { startBatch: 3 });
    assert.equal(resumed.remaining, 2);
    assert.deepEqual(await collect(resumed), full.slice(3));
  });

  it('evaluation: in order, eval transform, the last batch padded with a count of real samples', async () => {
    const data = samples(10);
    const loader = new BatchLoader(data, { batchSize: 4, inputSize: S, mode: 'eval' });
    assert.equal(loader.batchesPerEpoch, 3);
    const batches = await collect(loader.epoch(0));
    assert.deepEqual(batches.map((b) => b.count), [4, 4, 2]);
    assert.deepEqual(batches.flatMap((b) => b.indices), data.map((_, i) => i));
    const last = batches[2]!;
    assert.deepEqual(last.paths, ['/data/s8.png', '/data/s9.png']);
    assert.equal(last.image.length, 4 * 3 * S * S, 'the padded batch keeps the static size');
    const plane = S * S;
    assert.ok(last.image.subarray(2 * 3 * plane).every((v) => v === 0), 'padding image is zero');
    assert.ok(last.auMaps.subarray(2 * plane).every((v) => v === 0), 'padding map is zero');
    assert.deepEqual([...last.auValid], [1, 0, 0, 0]);
    assert.deepEqual([...last.labels], [2n, 0n, 0n, 0n]);
    const expected = evalTransformSample(data[9]!, S);
    assert.deepEqual(last.image.subarray(3 * plane, 6 * plane), expected.image);
  });

  it('builds the next batch in the background and reports a failing sample on next()', async () => {
    const data = samples(8);
    const iterator = new BatchLoader(data, { batchSize: 4, inputSize: S, mode: 'eval' }).epoch(0, { autoPrefetch: false });
    iterator.prefetch();
    iterator.prefetch(); // idempotent while one is under way
    const first = await iterator.next();
    assert.equal(first.done, false);

    const broken = [...samples(4), { ...samples(1)[0]!, rgb: new Uint8Array(5) }];
    const failing = new BatchLoader(broken, { batchSize: 4, inputSize: S, mode: 'eval' }).epoch(0);
    await failing.next(); // hands out batch 0 and starts building the broken batch 1 in the background
    await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(failing.next(), /rgb has 5 bytes/);
  });

  it('refuses a training set smaller than one batch', () => {
    assert.throws(() => new BatchLoader(samples(3), { batchSize: 4, inputSize: S, mode: 'train' }), /at least one full batch: 3 sample/);
  });
});
