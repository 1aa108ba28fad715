import assert from 'node:assert/strict';
import type { Expression } from '../../../src/trainer/science/labels';
import { mulberry32, randomInt, shuffled } from '../../../src/trainer/science/random';
import type { Split, SplitSample } from '../../../src/trainer/science/split';
import {
  SPLIT_NAMES, splitAssignments, splitBySubject, splitSummary, subjectsInSeveralSplits,
} from '../../../src/trainer/science/split';

const CK_CLASSES: readonly Expression[] = ['anger', 'contempt', 'disgust', 'fear', 'happy', 'sad', 'surprise'];
/** Roughly CK+'s sequence counts per class (45, 18, 59, 25, 69, 28, 83). */
const CK_WEIGHTS = [45, 18, 59, 25, 69, 28, 83];

/**
 * A CK+-like set: each subject shows 1 to 5 different expressions, 3 near-identical frames each,
 * with CK+'s skewed class frequencies.
 */
function ckLikeSamples(subjects: number, seed: number): SplitSample[] {
  const random = mulberry32(seed);
  const total = CK_WEIGHTS.reduce((a, b) => a + b, 0);
  const pick = (): Expression => {
    let r = random() * total;
    for (let i = 0; i < CK_WEIGHTS.length; i++) {
      r -= CK_WEIGHTS[i] ?? 0;
      if (r < 0) return CK_CLASSES[i] as Expression;
    }
    return 'surprise';
  };
  const samples: SplitSample[] = [];
  for (let s = 0; s < subjects; s++) {
    const subject = `S${String(s).padStart(3, '0')}`;
    const labels = new Set<Expression>();
    const n = 1 + randomInt(random, 5);
    while (labels.size < n) labels.add(pick());
    for (const label of labels) for (let f = 0; f < 3; f++) samples.push({ subject, label });
  }
  return samples;
}

const FRACTIONS = { train: 0.7, val: 0.15, test: 0.15 };

function sortedSplit(split: Split): string {
  return JSON.stringify(SPLIT_NAMES.map((n) => split[n]));
}

describe('splitBySubject', () => {
  const samples = ckLikeSamples(120, 1);

  it('assigns every sample exactly once and never puts a subject in two splits', () => {
    for (const seed of [0, 1, 2, 3, 99]) {
      const split = splitBySubject(samples, FRACTIONS, seed);
      const assignments = splitAssignments(split, samples.length);
      assert.ok(assignments.every((a) => a !== null));
      assert.deepEqual(subjectsInSeveralSplits(samples, split), []);
    }
  });

  it('is deterministic for a seed, differs for another seed, and ignores sample order', () => {
    const a = splitBySubject(samples, FRACTIONS, 7);
    assert.equal(sortedSplit(splitBySubject(samples, FRACTIONS, 7)), sortedSplit(a));
    assert.notEqual(sortedSplit(splitBySubject(samples, FRACTIONS, 8)), sortedSplit(a));

    // The same samples in another order get the same subject assignment.
    const order = shuffled(samples.map((_, i) => i), mulberry32(5));
    const permuted = order.map((i) => samples[i] as SplitSample);
    const b = splitBySubject(permuted, FRACTIONS, 7);
    const subjectsOf = (s: readonly SplitSample[], split: Split, name: 'train' | 'val' | 'test'): string[] =>
      [...new Set(split[name].map((i) => (s[i] as SplitSample).subject))].sort();
    for (const name of SPLIT_NAMES) assert.deepEqual(subjectsOf(permuted, b, name), subjectsOf(samples, a, name));
  });

  it('roughly honours the fractions, overall and per class', () => {
    const split = splitBySubject(samples, FRACTIONS, 3);
    const summary = splitSummary(samples, split);
    for (const name of SPLIT_NAMES) {
      const share = summary[name].images / samples.length;
      assert.ok(Math.abs(share - FRACTIONS[name]) < 0.04, `${name}: ${share}`);
      for (const label of CK_CLASSES) {
        const total = samples.filter((s) => s.label === label).length;
        const classShare = summary[name].classes[label].images / total;
        assert.ok(Math.abs(classShare - FRACTIONS[name]) < 0.1, `${name}/${label}: ${classShare}`);
      }
    }
  });

  it('puts every class in every split on a realistic set, for many seeds', () => {
    for (let seed = 0; seed < 20; seed++) {
      const summary = splitSummary(samples, splitBySubject(samples, FRACTIONS, seed));
      for (const name of SPLIT_NAMES) {
        for (const label of CK_CLASSES) assert.ok(summary[name].classes[label].subjects > 0, `seed ${seed}: no ${label} in ${name}`);
      }
    }
  });

  it('covers every split even for a class with just three subjects', () => {
    const few: SplitSample[] = [];
    for (let s = 0; s < 40; s++) for (let f = 0; f < 3; f++) few.push({ subject: `A${s}`, label: 'happy' });
    for (let s = 0; s < 3; s++) few.push({ subject: `B${s}`, label: 'fear' });
    const summary = splitSummary(few, splitBySubject(few, FRACTIONS, 0));
    for (const name of SPLIT_NAMES) assert.equal(summary[name].classes.fear.images, 1, name);
  });

  it('accepts percentages, leaves a zero-fraction split empty, and rejects bad fractions', () => {
    const pct = splitBySubject(samples, { train: 70, val: 15, test: 15 }, 4);
    assert.equal(sortedSplit(pct), sortedSplit(splitBySubject(samples, FRACTIONS, 4)));
    const noTest = splitBySubject(samples, { train: 0.8, val: 0.2, test: 0 }, 4);
    assert.deepEqual(noTest.test, []);
    assert.equal(noTest.train.length + noTest.val.length, samples.length);
    assert.throws(() => splitBySubject(samples, { train: -1, val: 1, test: 1 }, 0), RangeError);
    assert.throws(() => splitBySubject(samples, { train: 0, val: 0, test: 0 }, 0), RangeError);
    assert.throws(() => splitBySubject(samples, { train: Number.NaN, val: 1, test: 1 }, 0), RangeError);
    assert.deepEqual(splitBySubject([], FRACTIONS, 0), { train: [], val: [], test: [] });
  });
});

describe('splitSummary', () => {
  const samples: SplitSample[] = [
    { subject: 'S1', label: 'happy' }, { subject: 'S1', label: 'happy' }, { subject: 'S1', label: 'sad' },
    { subject: 'S2', label: 'happy' }, { subject: 'S3', label: 'sad' },
  ];

  it('counts images and subjects per split and class', () => {
    const summary = splitSummary(samples, { train: [0, 1, 2, 3], val: [4], test: [] });
    assert.equal(summary.train.images, 4);
    assert.equal(summary.train.subjects, 2);
    assert.deepEqual(summary.train.classes.happy, { images: 3, subjects: 2 });
    assert.deepEqual(summary.train.classes.sad, { images: 1, subjects: 1 });
    assert.deepEqual(summary.train.classes.fear, { images: 0, subjects: 0 });
    assert.deepEqual(summary.val.classes.sad, { images: 1, subjects: 1 });
    assert.equal(summary.test.images, 0);
  });

  it('rejects out-of-range and doubly assigned indices, and reports shared subjects', () => {
    assert.throws(() => splitSummary(samples, { train: [5], val: [], test: [] }), RangeError);
    assert.throws(() => splitSummary(samples, { train: [0], val: [0], test: [] }), RangeError);
    assert.deepEqual(subjectsInSeveralSplits(samples, { train: [0, 3], val: [1], test: [4] }), ['S1']);
  });
});
