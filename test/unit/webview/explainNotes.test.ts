import assert from 'node:assert/strict';
import { noEnergyNote } from '../../../src/webview/explain/notes';

describe('explanation page: energy shares', () => {
  it('says a class without AUs (neutral) has no AU region, instead of blaming a missing AU map', () => {
    assert.equal(noEnergyNote('dense3 attention', { class: 'neutral', aus: [] }),
      "No energy shares: 'neutral' uses no action units, so there is no AU region to measure dense3 attention in.");
    assert.equal(noEnergyNote('CAM', { class: 'happy', aus: [{ au: 'AU12', facs: 12, name: 'Lip Corner Puller' }] }),
      'No energy shares for CAM: the AU map is missing or the map has no energy.');
  });
});
