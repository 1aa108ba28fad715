/**
 * The editor's side of sweeps, without an editor: the Runs view's grouping (scanWorkspace, countSweep), the sweep
 * panel's view (readSweepView), the progress line and the failures reported while a sweep runs, Slurm's options as
 * Run Sweep checks them, and the CLI's error as the editor shows it.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { scanWorkspace } from '../../../src/extension/runs/runScan';
import { countSweep, countsText } from '../../../src/extension/runs/sweepScan';
import { parseSlurmOptions } from '../../../src/extension/sweeps/slurmOptions';
import { cliError } from '../../../src/extension/sweeps/sweepProcess';
import { FailureWatch, sweepProgress } from '../../../src/extension/sweeps/sweepProgress';
import { orderMetrics, readSweepView, sweepDefinition } from '../../../src/extension/sweeps/sweepView';
import type { LoadedSweep } from '../../../src/trainer/sweep/loadSweep';
import type { RunStatusRow, SweepStatus } from '../../../src/trainer/sweep/sweepStatus';
import { writeSweepFixture } from '../../helpers/sweepFixture';
import { makeTempDir } from '../io/fixtures';

describe('sweeps in the editor', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let loaded: LoadedSweep;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('sweep-editor'));
    // The plan is as deep as the view's walk goes and its runs one deeper: the plan, not the walk, finds them.
    loaded = await writeSweepFixture(path.join(dir, 'a'), {
      name: 'lam',
      sweep: { base: { data: 'data', preset: 'tiny64', epochs: 2 }, axes: { lambda: [0, 1, 4], seed: [0, 1] },
        out: 'b/c/lam' },
      states: { 'l4-s1': 'failed', 'l1-s1': 'running', 'l4-s0': 'not started' },
      faithfulness: true,
    });
  });
  after(() => cleanup());

  it('groups a sweep\'s runs under it, wherever the plan put them, with its progress', async () => {
    const { sweeps, runs } = await scanWorkspace([dir]);
    assert.equal(sweeps.length, 1);
    const [sweep] = sweeps;
    assert.equal(sweep!.name, 'lam');
    assert.equal(sweep!.file, loaded.sweep.file);
    assert.deepEqual(sweep!.runFolders, loaded.runs.map((r) => r.request.out));
    // Five runs have folders; the one not started has none yet.
    assert.deepEqual(runs.map((r) => r.name).sort(), ['l0-s0', 'l0-s1', 'l1-s0', 'l1-s1', 'l4-s1']);
    const byFolder = new Map(runs.map((r) => [r.folder, r.record?.status]));
    const counts = countSweep(sweep!, (f) => byFolder.get(f));
    // Its pid (1) is not this test's child: the view shows a "running" run.json as it is; runStatus decides later.
    assert.deepEqual(counts, { total: 6, completed: 3, running: 1, failed: 1, stopped: 0, notStarted: 1 });
    assert.equal(countsText(counts), '3/6 done · 1 running · 1 failed');
  });

  it('reports an unreadable plan on the sweep instead of dropping it', async () => {
    const { dir: other, cleanup: done } = await makeTempDir('sweep-editor-bad');
    try {
      await mkdir(path.join(other, 'runs', 's'), { recursive: true });
      await writeFile(path.join(other, 'runs', 's', 'sweep-plan.json'), '{"format": "something else"}');
      const { sweeps } = await scanWorkspace([other]);
      assert.equal(sweeps.length, 1);
      assert.match(sweeps[0]!.error ?? '', /not an AU Lens sweep plan/);
      assert.deepEqual(sweeps[0]!.runFolders, []);
    } finally {
      await done();
    }
  });

  it('gives the panel every run with its state and numbers, and mean ± sd over seeds per λ', async () => {
    const view = await readSweepView(await sweepDefinition(loaded.sweep.file));
    assert.deepEqual(view.settings, ['lambda', 'seed']);
    assert.deepEqual(view.numericAxes, ['lambda']);
    assert.deepEqual(view.metrics, [
      'val.accuracy', 'val.balancedAccuracy', 'val.attCos.stage3', 'test.accuracy', 'test.balancedAccuracy',
      'test.attCos.stage3', 'test.camCos.gradcam', 'test.camCos.layercam', 'test.faithfulness.gradcam.auSelectivity',
    ]);
    const state = Object.fromEntries(view.runs.map((r) => [r.name, r.state]));
    assert.equal(state['l4-s0'], 'not started');
    assert.equal(state['l4-s1'], 'failed');
    assert.equal(state['l0-s0'], 'completed');
    const failed = view.runs.find((r) => r.name === 'l4-s1')!;
    assert.match(failed.error ?? '', /out of memory/);
    assert.ok(failed.log?.endsWith('local.log'));
    assert.equal(failed.checkpoint, null);
    assert.ok(view.runs.find((r) => r.name === 'l0-s0')!.checkpoint?.endsWith('best.ckpt'));
    assert.deepEqual(view.groups.map((g) => [g.point, g.runs]),
      [[{ lambda: 0 }, ['l0-s0', 'l0-s1']], [{ lambda: 1 }, ['l1-s0', 'l1-s1']], [{ lambda: 4 }, ['l4-s0', 'l4-s1']]]);
    const l0 = view.runs.filter((r) => r.point['lambda'] === 0).map((r) => r.metrics['test.accuracy']!);
    const mean = (l0[0]! + l0[1]!) / 2;
    const sd = Math.sqrt(((l0[0]! - mean) ** 2 + (l0[1]! - mean) ** 2) / 1);
    const spread = view.groups[0]!.metrics['test.accuracy']!;
    assert.ok(Math.abs(spread.mean - mean) < 1e-12 && Math.abs(spread.sd! - sd) < 1e-12 && spread.n === 2);
    // λ = 4: one run not started, one failed after an epoch: its validation alone, a mean without sd, no test.
    assert.deepEqual([view.groups[2]!.metrics['val.accuracy']?.sd, view.groups[2]!.metrics['val.accuracy']?.n],
      [null, 1]);
    assert.equal(view.groups[2]!.metrics['test.accuracy'], undefined);
    assert.equal(view.counts.completed, 3);
  });

  it('reads the runs from the plan when the sweep file is gone, and says the file is missing without the plan', async () => {
    const { dir: other, cleanup: done } = await makeTempDir('sweep-editor-gone');
    try {
      const gone = await writeSweepFixture(other, { name: 'g', sweep: { base: { data: 'd' }, axes: { seed: [0, 1] } } });
      await rm(gone.sweep.file);
      await assert.rejects(sweepDefinition(gone.sweep.file), /g\.au-lens-sweep\.json does not exist/);
      const def = await sweepDefinition(gone.sweep.file, gone.sweep.out);
      assert.deepEqual(def.runs.map((r) => r.name), ['s0', 's1']);
      assert.deepEqual((await readSweepView(def)).numericAxes, []);
    } finally {
      await done();
    }
  });

  it('orders metrics: validation before test, then accuracy, ATT-COS, CAM-COS and the rest', () => {
    assert.deepEqual(orderMetrics(['test.x', 'test.camCos.a', 'val.attCos.s', 'test.accuracy', 'val.accuracy']),
      ['val.accuracy', 'val.attCos.s', 'test.accuracy', 'test.camCos.a', 'test.x']);
  });

  it('words a sweep\'s progress and reports each failed attempt once, not the failures it started with', () => {
    const row = (name: string, state: RunStatusRow['state'], updatedAt = 't0'): RunStatusRow => ({
      index: 0, name, point: {}, folder: name, state, evaluated: false,
      ...(state === 'failed' && { error: 'boom' }),
      record: { updatedAt } as RunStatusRow['record'] & object,
    });
    const status = (...runs: RunStatusRow[]): SweepStatus => {
      const counts = { completed: 0, running: 0, pending: 0, failed: 0, cancelled: 0, interrupted: 0,
        'not started': 0 };
      for (const r of runs) counts[r.state]++;
      return { runs, counts, accounting: true, slurmReachable: true };
    };
    const p = sweepProgress(status(row('a', 'completed'), row('b', 'running'), row('c', 'pending'),
      row('d', 'failed')));
    assert.deepEqual([p.text, p.fraction, p.active], ['1/4 done · 1 running · 1 queued · 1 failed', 0.5, true]);
    const watch = new FailureWatch();
    assert.deepEqual(watch.newFailures(status(row('d', 'failed'))), []);
    assert.deepEqual(watch.newFailures(status(row('d', 'failed'), row('e', 'failed'))).map((r) => r.name), ['e']);
    assert.deepEqual(watch.newFailures(status(row('d', 'failed'), row('e', 'failed'))), []);
    // d tried again and failed again: a new attempt.
    assert.deepEqual(watch.newFailures(status(row('d', 'failed', 't1'))).map((r) => r.name), ['d']);
  });

  it('checks Slurm\'s options as the CLI takes them', () => {
    assert.deepEqual(parseSlurmOptions(' --partition gpu  --time=2:00:00 --gres gpu:1 '),
      { args: ['--partition', 'gpu', '--time=2:00:00', '--gres', 'gpu:1'] });
    assert.deepEqual(parseSlurmOptions(''), { args: [] });
    assert.deepEqual(parseSlurmOptions('--account lab'),
      { error: '"--account" is not one of --partition, --gres, --cpus, --time, --parallel, --node' });
    assert.deepEqual(parseSlurmOptions('--partition --time 1:00'), { error: '--partition needs a value' });
    assert.deepEqual(parseSlurmOptions('gpu'), { error: '"gpu" is not one of --partition, --gres, --cpus, ' +
      '--time, --parallel, --node' });
  });

  it('shows the CLI\'s error without its prefix, and a usage error without the usage', () => {
    assert.equal(cliError(['au-lens sweep: Slurm refused the job: sbatch: error: invalid partition specified: x']),
      'Slurm refused the job: sbatch: error: invalid partition specified: x');
    assert.equal(cliError(['au-lens sweep: nothing was started:', 'l0: the run folder holds …', '']),
      'nothing was started:\nl0: the run folder holds …');
    assert.equal(cliError(['au-lens sweep: --cpus must be at least 1, got "0"', '', 'Usage: au-lens sweep …']),
      '--cpus must be at least 1, got "0"');
    assert.equal(cliError(['stopping…', 'Killed']), 'stopping…\nKilled');
  });
});
