import assert from 'node:assert/strict';
import { deriveSeed, gaussian, mulberry32, randomInt, shuffled } from '../../../src/trainer/science/random';

describe('random', () => {
  it('mulberry32 is deterministic for a seed, differs between seeds, and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
    assert.notDeepEqual(Array.from({ length: 1000 }, () => c()), xs);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });

  it('randomInt covers its range and rejects bad bounds', () => {
    const r = mulberry32(1);
    const seen = new Set(Array.from({ length: 200 }, () => randomInt(r, 5)));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
    assert.throws(() => randomInt(r, 0), RangeError);
    assert.throws(() => randomInt(r, 2.5), RangeError);
  });

  it('shuffled is a seeded permutation that leaves its input alone', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = shuffled(items, mulberry32(7));
    assert.deepEqual(shuffled(items, mulberry32(7)), s1);
    assert.notDeepEqual(s1, items);
    assert.deepEqual([...s1].sort((x, y) => x - y), items);
    assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => i));
  });

  it('deriveSeed gives distinct reproducible seeds per stream', () => {
    assert.equal(deriveSeed(5, 1), deriveSeed(5, 1));
    const seeds = new Set([deriveSeed(5, 0), deriveSeed(5, 1), deriveSeed(5, 2), deriveSeed(6, 0), deriveSeed(5, 0, 1)]);
    assert.equal(seeds.size, 5);
  });

  it('gaussian has roughly zero mean and unit spread', () => {
    const r = mulberry32(3);
    const xs = Array.from({ length: 20000 }, () => gaussian(r));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  });
});
