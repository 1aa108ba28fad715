import * as assert from 'node:assert/strict';
import { bootstrapMacroMean, bootstrapMean } from '../../../../../src/trainer/science/metrics/bootstrap';
import type { AuOcclusion, AuOcclusionResult } from '../../../../../src/trainer/science/metrics/faithfulness/auOcclusion';
import type { LabelledValue } from '../../../../../src/trainer/science/metrics/faithfulness/summary';
import { summariseAuOcclusion, summariseByClass } from '../../../../../src/trainer/science/metrics/faithfulness/summary';
import { skipped } from '../../../../../src/trainer/science/metrics/faithfulness/types';
import type { Expression } from '../../../../../src/trainer/science/labels';

function face(auReliance: Record<string, number>, controlDrop: number | null): AuOcclusionResult {
  const drops = Object.values(auReliance);
  const mean = drops.reduce((s, v) => s + v, 0) / drops.length;
  const result: AuOcclusion = {
    status: 'ok', classIndex: 1, probability: 0.9, sigma: 2.3,
    aus: Object.entries(auReliance).map(([au, drop]) => ({ facs: Number(au.slice(2)), pixels: 100, drop })),
    control: controlDrop === null ? null : { area: 100, pixels: [100], drops: [controlDrop], drop: controlDrop },
    auReliance,
    auSelectivity: controlDrop === null ? null : mean - controlDrop,
    note: controlDrop === null ? 'no facial skin lies outside the action units, so there is no control region' : null,
  };
  return result;
}

describe('metrics/faithfulness/summary', () => {
  it('bootstraps a macro average within classes, and equals the mean bootstrap for one class', () => {
    const one = [0.1, 0.5, 0.3, 0.9];
    assert.deepEqual(bootstrapMacroMean([one], { seed: 4 }), bootstrapMean(one, { seed: 4 }));
    const e = bootstrapMacroMean([[1, 1, 1], [0, 0.2], [0.5]]);
    assert.ok(Math.abs(e.value - (1 + 0.1 + 0.5) / 3) < 1e-12);
    assert.equal(e.n, 6);
    // Class 1 and 3 never vary; only class 2's resamples (0, 0.1 or 0.2) move the average by a third.
    assert.ok(Math.abs(e.low! - (1 + 0 + 0.5) / 3) < 1e-12 && Math.abs(e.high! - (1 + 0.2 + 0.5) / 3) < 1e-12);
    assert.throws(() => bootstrapMacroMean([[1], []]), /at least one value in every class/);
  });

  it('averages per class, then over the six expressions only; skipped faces are counted, not averaged', () => {
    const values: LabelledValue[] = [
      { label: 'happy', value: 0.6 }, { label: 'happy', value: 0.4 },
      { label: 'sad', value: 0.1 },
      { label: 'neutral', value: 'no-aus' }, { label: 'neutral', value: 'no-aus' },
      { label: 'contempt', value: 'class-not-in-model' },
      { label: 'fear', value: 'outside-image' },
    ];
    const s = summariseByClass(values);
    assert.deepEqual(Object.keys(s.perClass), ['neutral', 'happy', 'fear', 'sad', 'contempt']);
    assert.equal(s.perClass.happy!.estimate!.value, 0.5);
    assert.equal(s.perClass.neutral!.estimate, null);
    assert.deepEqual(s.perClass.neutral!.skipped, { 'no-aus': 2 });
    assert.deepEqual(s.perClass.fear!.skipped, { 'outside-image': 1 });
    assert.deepEqual(s.averagedOver, ['happy', 'sad']);
    assert.ok(Math.abs(s.average!.value - 0.3) < 1e-12);
    assert.equal(summariseByClass([{ label: 'neutral', value: 'no-aus' }]).average, null);
    assert.throws(() => summariseByClass([{ label: 'happy', value: NaN }]), /non-finite/);
  });

  it('summarises AU occlusion: selectivity, control drop and per-AU reliance per class', () => {
    const faces: { label: Expression; result: AuOcclusionResult }[] = [
      { label: 'happy', result: face({ AU6: 0.1, AU12: 0.5, AU25: 0.3 }, 0.05) },
      { label: 'happy', result: face({ AU6: 0.2, AU12: 0.7 }, 0.1) },
      { label: 'happy', result: face({ AU12: 0.4 }, null) },
      { label: 'neutral', result: skipped('no-aus', 'neutral') },
    ];
    const s = summariseAuOcclusion(faces);
    assert.ok(Math.abs(s.auSelectivity.perClass.happy!.estimate!.value - ((0.3 - 0.05) + (0.45 - 0.1)) / 2) < 1e-12);
    assert.ok(Math.abs(s.controlDrop.perClass.happy!.estimate!.value - 0.075) < 1e-12);
    assert.equal(s.noControl, 1);
    assert.deepEqual(s.auSelectivity.perClass.neutral!.skipped, { 'no-aus': 1 });
    assert.ok(Math.abs(s.auReliance.happy!['AU12']!.value - (0.5 + 0.7 + 0.4) / 3) < 1e-12);
    assert.equal(s.auReliance.happy!['AU25']!.n, 1);
    assert.deepEqual(s.auSelectivity.averagedOver, ['happy']);
  });
});
