import assert from 'node:assert/strict';
import { formatSpread, spread, summariseOverSeeds } from '../../../src/trainer/science/metrics/sweepStats';
import type { SweepRunMetrics } from '../../../src/trainer/science/metrics/sweepStats';

describe('sweep statistics: mean ± sd over seeds', () => {
  it('gives the mean and the sample standard deviation of the finite values', () => {
    const s = spread([0.8, 0.9, 1.0])!;
    assert.equal(s.n, 3);
    assert.ok(Math.abs(s.mean - 0.9) < 1e-12 && Math.abs(s.sd! - 0.1) < 1e-12, JSON.stringify(s));
    assert.deepEqual(spread([0.5]), { mean: 0.5, sd: null, n: 1 });
    assert.deepEqual(spread([0.5, Number.NaN]), { mean: 0.5, sd: null, n: 1 });
    assert.equal(spread([]), undefined);
    assert.equal(formatSpread(spread([0.8, 0.9, 1.0])), '0.900 ± 0.100');
    assert.equal(formatSpread(spread([0.5]), 2), '0.50');
    assert.equal(formatSpread(undefined), '–');
  });

  it('groups the runs of each grid point, whatever order their settings come in, and summarises each metric', () => {
    const runs: SweepRunMetrics[] = [
      { name: 'l0-s0', point: { lambda: 0, seed: 0 }, metrics: { 'val.accuracy': 0.6, 'test.camCos.gradcam': 0.2 } },
      { name: 'l4-s0', point: { lambda: 4, seed: 0 }, metrics: { 'val.accuracy': 0.7, 'test.camCos.gradcam': null } },
      { name: 'l0-s1', point: { seed: 1, lambda: 0 }, metrics: { 'val.accuracy': 0.8, 'test.camCos.gradcam': 0.4 } },
      { name: 'l4-s1', point: { lambda: 4, seed: 1 }, metrics: {} },
    ];
    const summary = summariseOverSeeds(runs);
    assert.deepEqual(summary.map((g) => [g.point, g.runs, g.seeds]), [
      [{ lambda: 0 }, ['l0-s0', 'l0-s1'], [0, 1]],
      [{ lambda: 4 }, ['l4-s0', 'l4-s1'], [0, 1]],
    ]);
    const [l0, l4] = summary;
    assert.equal(l0!.metrics['val.accuracy']!.mean.toFixed(6), '0.700000');
    assert.equal(l0!.metrics['val.accuracy']!.sd!.toFixed(6), (Math.SQRT2 / 10).toFixed(6));
    assert.equal(l0!.metrics['test.camCos.gradcam']!.n, 2);
    // A run without a value (not evaluated, no AU map) counts for nothing, not as zero.
    assert.deepEqual(l4!.metrics, { 'val.accuracy': { mean: 0.7, sd: null, n: 1 } });
  });

  it('groups by any setting left out, e.g. the data folder of a cross-dataset sweep', () => {
    const runs: SweepRunMetrics[] = [
      { name: 'a', point: { data: 'ck48', lambda: 0 }, metrics: { m: 1 } },
      { name: 'b', point: { data: 'raf', lambda: 0 }, metrics: { m: 3 } },
    ];
    assert.deepEqual(summariseOverSeeds(runs, 'data'), [
      { point: { lambda: 0 }, runs: ['a', 'b'], seeds: ['ck48', 'raf'], 
        metrics: { m: { mean: 2, sd: Math.SQRT2, n: 2 } } },
    ]);
  });
});
