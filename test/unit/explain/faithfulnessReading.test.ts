import assert from 'node:assert/strict';
import type { AuOcclusion } from '../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import type { AuReliance } from '../../../src/trainer/science/faithfulnessReport';
import { occlusionReading } from '../../../src/trainer/explain/faithfulnessReading';

/** A face's occlusion with this top AU drop and control drop (the other fields do not reach the sentence). */
function occlusion(top: number, control: number): { result: AuOcclusion; aus: AuReliance[] } {
  const result: AuOcclusion = {
    status: 'ok', classIndex: 0, probability: 0.5, sigma: 2.3, aus: [{ facs: 1, pixels: 40, drop: top }],
    control: { area: 40, pixels: [40], drops: [control], drop: control }, auReliance: { AU1: top },
    auSelectivity: top - control, note: null,
  };
  return { result, aus: [{ au: 'AU1', facs: 1, name: 'Inner Brow Raiser', drop: top, share: 0.07, pixels: 40 }] };
}

const read = (top: number, control: number): string | null => {
  const { result, aus } = occlusion(top, control);
  return occlusionReading('surprise', result, aus);
};

describe('occlusionReading', () => {
  it('reads a drop and a control that show in two decimals with their direction', () => {
    assert.equal(read(0.61, 0.04),
      "the 'surprise' score falls 0.61 when AU1 (inner brow raiser) is hidden, 0.04 for a control region of skin the same size");
    assert.equal(read(-0.13, -0.02),
      "the 'surprise' score rises 0.13 when AU1 (inner brow raiser) is hidden and rises 0.02 for a control region of skin the same size");
  });

  it('says "does not change" for drops that round to 0.00, never "falls 0.00" or "rises 0.00" (an untrained model)', () => {
    assert.equal(read(0.0004, -0.0003),
      "the 'surprise' score does not change when AU1 (inner brow raiser) is hidden, 0.00 for a control region of skin the same size");
    assert.equal(read(-0.004, 0.002),
      "the 'surprise' score does not change when AU1 (inner brow raiser) is hidden, 0.00 for a control region of skin the same size");
    assert.equal(read(0.3, -0.0049),
      "the 'surprise' score falls 0.30 when AU1 (inner brow raiser) is hidden, 0.00 for a control region of skin the same size");
    for (const [top, control] of [[0.0001, -0.0001], [-0.001, -0.004], [0.2, -0.001]] as const) {
      assert.doesNotMatch(read(top, control)!, /(falls|rises) 0\.00|-0\.00/);
    }
  });
});
