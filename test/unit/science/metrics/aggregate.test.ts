import * as assert from 'node:assert/strict';
import {
  accuracy,
  AVERAGED_EXPRESSIONS,
  balancedAccuracy,
  confusionMatrix,
  CosineAggregator,
  perClassRecall,
} from '../../../../src/trainer/science/metrics/aggregate';
import { PAPER_CLASSES } from '../../../../src/trainer/science/labels';
import { assertClose } from './maps';

describe('metrics/aggregate', () => {
  describe('CosineAggregator', () => {
    function filled(): CosineAggregator {
      const agg = new CosineAggregator();
      agg.addSample('happy', { layer5: 0.8, cam: 0.4 });
      agg.addSample('happy', { layer5: 0.6, cam: 0.2 });
      agg.addSample('happy', { layer5: 'invalid', cam: 'invalid' });
      agg.addSample('sad', { layer5: 0.5, cam: 0.5 });
      agg.addSample('anger', { layer5: 0.9, cam: 0.3 });
      agg.addSample('neutral', { layer5: 'invalid', cam: 'invalid' });
      agg.addSample('neutral', { layer5: 'invalid', cam: 'invalid' });
      agg.add('contempt', 'layer5', 0.1);
      return agg;
    }

    it('averages per class and counts invalid samples apart', () => {
      const s = filled().summary();
      assert.deepEqual(s.keys, ['layer5', 'cam']);
      const layer5 = s.byKey['layer5']!;
      assertClose(layer5.perClass.happy!.mean, 0.7);
      assert.equal(layer5.perClass.happy!.valid, 2);
      assert.equal(layer5.perClass.happy!.invalid, 1);
      assert.deepEqual(layer5.perClass.neutral, { mean: null, valid: 0, invalid: 2 });
      assert.equal(layer5.valid, 5);
      assert.equal(layer5.invalid, 3);
    });

    it('averages the six expressions unweighted, leaving out empty classes, neutral and contempt', () => {
      const s = filled().summary();
      assert.deepEqual(s.averagedClasses, AVERAGED_EXPRESSIONS);
      const layer5 = s.byKey['layer5']!;
      // happy 0.7, sad 0.5, anger 0.9; disgust, fear and surprise have no valid sample; contempt's 0.1 is not averaged.
      assert.deepEqual(layer5.perClass.fear, { mean: null, valid: 0, invalid: 0 });
      assert.deepEqual(layer5.averagedOver, ['happy', 'anger', 'sad']);
      assertClose(layer5.average, 0.7);
      assertClose(s.byKey['cam']!.average, (0.3 + 0.3 + 0.5) / 3);
    });

    it('is plain JSON', () => {
      const s = filled().summary();
      assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    });

    it('reports a null average when no averaged class has a valid sample', () => {
      const agg = new CosineAggregator();
      agg.add('neutral', 'cam', 0.5);
      agg.add('fear', 'cam', 'invalid');
      const cam = agg.summary().byKey['cam']!;
      assert.equal(cam.average, null);
      assert.deepEqual(cam.averagedOver, []);
    });

    it('reports only the classes it was given', () => {
      const agg = new CosineAggregator(PAPER_CLASSES);
      agg.add('fear', 'layer5', 0.4);
      const s = agg.summary();
      assert.deepEqual(Object.keys(s.byKey['layer5']!.perClass), [...PAPER_CLASSES]);
      assert.throws(() => agg.add('contempt', 'layer5', 0.4), RangeError);
    });

    it('rejects non-finite scores', () => {
      assert.throws(() => new CosineAggregator().add('sad', 'cam', NaN), RangeError);
    });
  });

  describe('classification', () => {
    const truth = [0, 0, 0, 0, 1, 2];
    const predicted = [0, 0, 0, 1, 1, 0];

    it('builds the confusion matrix with rows as true labels', () => {
      assert.deepEqual(confusionMatrix(truth, predicted, 3), [
        [3, 1, 0],
        [0, 1, 0],
        [1, 0, 0],
      ]);
    });

    it('computes accuracy and balanced accuracy', () => {
      assertClose(accuracy(truth, predicted), 4 / 6);
      assert.deepEqual(perClassRecall(confusionMatrix(truth, predicted, 3)), [0.75, 1, 0]);
      assertClose(balancedAccuracy(truth, predicted, 3), (0.75 + 1 + 0) / 3);
      // A class absent from the truth is left out, not counted as recall 0.
      assertClose(balancedAccuracy(truth, predicted, 4), (0.75 + 1 + 0) / 3);
      assert.equal(perClassRecall(confusionMatrix(truth, predicted, 4))[3], null);
    });

    it('gives null for no samples and throws on bad labels', () => {
      assert.equal(accuracy([], []), null);
      assert.equal(balancedAccuracy([], [], 7), null);
      assert.throws(() => confusionMatrix([0, 7], [0, 1], 7), RangeError);
      assert.throws(() => confusionMatrix([0], [0, 1], 7), RangeError);
      assert.throws(() => accuracy([0], [0, 1]), RangeError);
    });
  });
});
