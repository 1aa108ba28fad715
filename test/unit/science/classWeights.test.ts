import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadClassWeights } from '../../../src/trainer/io/classWeightsFile';
import { classWeightVector, ClassWeightsError, parseClassWeights, sampleWeights } from '../../../src/trainer/science/classWeights';
import { makeTempDir } from '../io/fixtures';

describe('class weights (--class-weights none|inverse|FILE)', () => {
  it('inverse: n / (K · n_c) over the training counts, a class absent from them counted once', () => {
    const labels = ['neutral', 'happy', 'fear'] as const;
    const w = classWeightVector({ kind: 'inverse' }, labels, { neutral: 60, happy: 30, fear: 10 })!;
    assert.deepEqual(w.map((x) => Number(x.toFixed(6))), [100 / 180, 100 / 90, 100 / 30].map((x) => Number(x.toFixed(6))));
    assert.deepEqual(classWeightVector({ kind: 'inverse' }, ['happy', 'sad'], { happy: 4 }), [4 / 2 / 4, 4 / 2 / 1]);
    assert.equal(classWeightVector({ kind: 'none' }, labels, {}), undefined);
  });

  it('a table gives each label its weight in output order, and must cover every class of the run', () => {
    const spec = { kind: 'file' as const, file: 'w.json', weights: { sad: 3, happy: 0.5, contempt: 9 } };
    assert.deepEqual(classWeightVector(spec, ['happy', 'sad'], {}), [0.5, 3]);
    assert.throws(() => classWeightVector(spec, ['happy', 'sad', 'fear'], {}),
      (e: unknown) => e instanceof ClassWeightsError && /w.json gives no weight for fear; give one for each of the run's classes \(happy, sad, fear\)/.test(e.message));
  });

  it('per-sample weights are c[y] / Σ c[y] over the batch (F.cross_entropy with weight=c)', () => {
    const w = sampleWeights(BigInt64Array.from([0n, 1n, 1n, 2n]), [1, 2, 4]);
    assert.deepEqual(Array.from(w), [1 / 9, 2 / 9, 2 / 9, 4 / 9].map((x) => Math.fround(x)));
    assert.throws(() => sampleWeights([3], [1, 2]), RangeError);
  });

  it('parses names in any case or synonym and refuses what is not a weight table, naming the entry', () => {
    assert.deepEqual(parseClassWeights({ Happiness: 2, angry: 0.25 }, 'w.json'), { happy: 2, anger: 0.25 });
    const bad: [json: unknown, message: RegExp][] = [
      [[1, 2], /w.json must hold a JSON object of class weights/],
      [null, /must hold a JSON object/],
      [{ smug: 1 }, /w.json: "smug" is not a class name/],
      [{ happy: 1, happiness: 2 }, /"happiness" and "happy" both name the class happy/],
      [{ happy: 0 }, /the weight of "happy" must be a number > 0, got 0/],
      [{ sad: -1 }, /must be a number > 0, got -1/],
      [{ sad: '2' }, /must be a number > 0, got "2"/],
    ];
    for (const [json, message] of bad) {
      assert.throws(() => parseClassWeights(json, 'w.json'), (e: unknown) => e instanceof ClassWeightsError && message.test(e.message), JSON.stringify(json));
    }
  });

  it('reads FILE only when it is a regular JSON file under 64 KiB, with a clear error otherwise', async () => {
    const { dir, cleanup } = await makeTempDir('class-weights');
    try {
      const file = (name: string): string => path.join(dir, name);
      await writeFile(file('ok.json'), '{"neutral": 1, "happy": 0.5}');
      await writeFile(file('broken.json'), '{"neutral": 1,');
      await writeFile(file('huge.json'), `{"happy": 1, "pad": "${'x'.repeat(70 * 1024)}"}`);
      await mkdir(file('folder.json'));
      assert.deepEqual(await loadClassWeights(file('ok.json')), { kind: 'file', file: file('ok.json'), weights: { neutral: 1, happy: 0.5 } });
      assert.deepEqual(await loadClassWeights('inverse'), { kind: 'inverse' });
      assert.deepEqual(await loadClassWeights('none'), { kind: 'none' });
      const cases: [name: string, message: RegExp][] = [
        ['missing.json', /class-weights file .*missing.json does not exist \(give none, inverse, or a JSON file of class weights\)/],
        ['broken.json', /broken.json is not valid JSON/],
        ['huge.json', /huge.json is \d+ bytes, above the 65536 bytes limit for such a file/],
        ['folder.json', /folder.json is a folder; give the file itself/],
      ];
      for (const [name, message] of cases) {
        await assert.rejects(loadClassWeights(file(name)), (e: unknown) => e instanceof ClassWeightsError && message.test(e.message), name);
      }
    } finally {
      await cleanup();
    }
  });
});
