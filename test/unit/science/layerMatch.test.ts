import * as assert from 'node:assert/strict';
import { matchLayers } from '../../../src/trainer/science/layerMatch';

describe('science/layerMatch', () => {
  it('pairs layers by name when the models share names', () => {
    const m = matchLayers(['layer1', 'layer2', 'layer3', 'layer4'], ['layer3', 'layer4']);
    assert.equal(m.by, 'name');
    assert.deepEqual(m.pairs.map((p) => [p.a, p.b]), [['layer3', 'layer3'], ['layer4', 'layer4']]);
    assert.match(m.note, /by name; not in both models: layer1, layer2/);
  });

  it('pairs first with first and last with last when no name is shared (tiny64 vs face-api)', () => {
    const m = matchLayers(['layer1', 'layer2', 'layer3', 'layer4'], ['dense0', 'dense1', 'dense2', 'dense3']);
    assert.equal(m.by, 'position');
    assert.deepEqual(m.pairs, [
      { a: 'layer1', b: 'dense0', label: 'first: layer1 / dense0' },
      { a: 'layer4', b: 'dense3', label: 'last: layer4 / dense3' },
    ]);
    assert.match(m.note, /share no layer names.*by position/);
  });

  it('pairs the deepest layers when one model has a single layer, and nothing when one has none', () => {
    assert.deepEqual(matchLayers(['layer4'], ['dense0', 'dense3']).pairs.map((p) => [p.a, p.b]), [['layer4', 'dense3']]);
    const none = matchLayers([], ['dense3']);
    assert.equal(none.by, 'none');
    assert.equal(none.pairs.length, 0);
    assert.match(none.note, /A reports no attention layers/);
  });
});
