import assert from 'node:assert/strict';
import {
  AFFECTNET_CODING, decodeLabel, describeCoding, FER2013_CODING, ferPlusMajority, RAFDB_CODING,
} from '../../../src/trainer/science/datasetLabels';

describe('dataset label codings', () => {
  it('map RAF-DB, FER2013 and AffectNet codes as their documentation gives them', () => {
    const expr = (coding: typeof RAFDB_CODING, code: string): string => {
      const m = decodeLabel(coding, code);
      return m === undefined ? 'undefined' : 'expression' in m ? m.expression : `dropped: ${m.dropped}`;
    };
    assert.deepEqual(['1', '2', '3', '4', '5', '6', '7'].map((c) => expr(RAFDB_CODING, c)), ['surprise', 'fear', 'disgust', 'happy', 'sad', 'anger', 'neutral']);
    assert.deepEqual(['0', '1', '2', '3', '4', '5', '6'].map((c) => expr(FER2013_CODING, c)), ['anger', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
    assert.deepEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].map((c) => expr(AFFECTNET_CODING, c)), [
      'neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger', 'contempt', 'dropped: none of the expressions', 'dropped: uncertain', 'dropped: no face',
    ]);
  });

  it('knows no code outside the table, and no spelling that hides a misread column', () => {
    for (const code of ['0', '8', '-1', '05', '5.0', 'x', '', 'constructor', '__proto__']) assert.equal(decodeLabel(RAFDB_CODING, code), undefined, code);
    assert.ok(decodeLabel(RAFDB_CODING, ' 5 ') !== undefined);
    assert.match(describeCoding(RAFDB_CODING), /^1 surprise, 2 fear, .*7 neutral$/);
  });
});

describe('FERPlus majority rule (Microsoft/FERPlus ferplus.py, mode "majority")', () => {
  // Columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
  const cases: [votes: number[], label: string][] = [
    [[10, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'neutral'],
    [[0, 6, 1, 0, 0, 0, 0, 0, 3, 0], 'happy'], // the single surprise vote is an outlier: 6 of 9
    [[4, 0, 0, 1, 3, 2, 0, 0, 0, 0], 'no-majority'], // 4 of 9 is no majority, though a plurality
    [[5, 5, 0, 0, 0, 0, 0, 0, 0, 0], 'no-majority'], // a tie is never above half
    [[0, 0, 0, 0, 0, 0, 0, 2, 0, 0], 'contempt'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 6, 4], 'voted-unknown'],
    [[2, 0, 0, 0, 0, 0, 0, 0, 0, 8], 'not-a-face'],
    [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'no-majority'], // every vote single: nothing left
    [[0, 0, 0, 4, 0, 0, 3, 0, 0, 0], 'sad'],
  ];
  for (const [votes, label] of cases) {
    it(`${votes.join(',')} → ${label}`, () => {
      const got = ferPlusMajority(votes);
      assert.equal('expression' in got ? got.expression : got.dropped, label);
    });
  }
  it('needs all ten counts', () => assert.throws(() => ferPlusMajority([1, 2]), RangeError));
});
