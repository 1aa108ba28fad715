import assert from 'node:assert/strict';
import type { Expression } from '../../../src/trainer/science/labels';
import type { OfficialSplitSample } from '../../../src/trainer/science/split';
import { splitOfficial, subjectsInSeveralSplits } from '../../../src/trainer/science/split';

const LABELS: readonly Expression[] = ['happy', 'sad', 'anger'];

function samples(count: number, part: (i: number) => OfficialSplitSample['part'], subject: (i: number) => string): OfficialSplitSample[] {
  return Array.from({ length: count }, (_, i) => ({ label: LABELS[i % 3]!, subject: subject(i), part: part(i) }));
}

describe('splitOfficial', () => {
  const fractions = { train: 0.7, val: 0.15, test: 0.15 };

  it('keeps the test part as it is and carves validation from train only, stratified by class, seeded', () => {
    const s = samples(300, (i) => (i % 4 === 0 ? 'test' : 'train'), (i) => `file:${i}`);
    const split = splitOfficial(s, fractions, 7);
    assert.deepEqual(split.test, s.flatMap((x, i) => (x.part === 'test' ? [i] : [])));
    assert.ok([...split.train, ...split.val].every((i) => s[i]!.part === 'train'));
    assert.equal(split.train.length + split.val.length, 225);
    // val / (train + val) of the fractions: 0.15 / 0.85 of the 225 training images, about a third of each class.
    assert.ok(Math.abs(split.val.length - 225 * 0.15 / 0.85) <= 3, String(split.val.length));
    for (const label of LABELS) {
      const inVal = split.val.filter((i) => s[i]!.label === label).length;
      assert.ok(Math.abs(inVal - 75 * 0.15 / 0.85) <= 2, `${label}: ${inVal}`);
    }
    assert.deepEqual(splitOfficial(s, fractions, 7), split);
    assert.notDeepEqual(splitOfficial(s, fractions, 8).val, split.val);
  });

  it('carves validation by subject when subjects are known', () => {
    const s = samples(240, (i) => (i < 200 ? 'train' : 'test'), (i) => `S${Math.floor(i / 6)}`);
    const split = splitOfficial(s, fractions, 0);
    assert.ok(split.val.length > 0);
    assert.deepEqual(subjectsInSeveralSplits(s, { ...split, test: [] }), []);
  });

  it("uses the dataset's own validation part when it has one (FER2013's PublicTest)", () => {
    const parts = ['train', 'val', 'test'] as const;
    const s = samples(30, (i) => parts[i % 3], (i) => `file:${i}`);
    const split = splitOfficial(s, fractions, 0);
    assert.deepEqual(split.val, s.flatMap((x, i) => (x.part === 'val' ? [i] : [])));
  });

  it('refuses samples without a part', () => {
    assert.throws(() => splitOfficial(samples(3, (i) => (i === 1 ? undefined : 'train'), String), fractions, 0), /sample 1 has no official part/);
  });
});
