import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { summariseOverSeeds } from '../../../src/trainer/science/metrics/sweepStats';
import { loadSweep } from '../../../src/trainer/sweep/loadSweep';
import type { LoadedSweep } from '../../../src/trainer/sweep/loadSweep';
import { readRunMetrics } from '../../../src/trainer/sweep/sweepMetrics';
import { configFile, writeSweepPlan } from '../../../src/trainer/sweep/sweepPlan';
import { sweepStatus } from '../../../src/trainer/sweep/sweepStatus';
import { runSweepTask } from '../../../src/trainer/sweep/sweepTask';
import type { SweepTaskHooks, TaskStatus } from '../../../src/trainer/sweep/sweepTask';
import { readRunRecord } from '../../../src/trainer/train/runLog';
import { FakeDetector, useTrainingWorkspace } from '../train/fixtures';

describe('a sweep\'s task: one run from its run config', function () {
  this.timeout(120_000);
  const ws = useTrainingWorkspace('sweep-task');
  let loaded: LoadedSweep;
  let xdg: string | undefined;

  before(async () => {
    // The default landmark cache is the user's; the fake detector's faces must not land there.
    xdg = process.env['XDG_CACHE_HOME'];
    process.env['XDG_CACHE_HOME'] = path.join(ws.root, 'xdg');
    const file = path.join(ws.root, 'grid.au-lens-sweep.json');
    const base = { data: 'data', preset: 'tiny64', epochs: 2, batch: 4, lr: 0.01, threads: 1 };
    await writeFile(file, JSON.stringify({ base, axes: { lambda: [0, 1], seed: [3] } }));
    loaded = await loadSweep(file);
    await writeSweepPlan(loaded.sweep, loaded.runs);
  });
  after(() => {
    if (xdg === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = xdg;
  });

  const hooks = (options: { signal?: AbortSignal; log?: string[] } = {}): SweepTaskHooks => ({
    signal: options.signal ?? new AbortController().signal, detector: async () => new FakeDetector(),
    log: (l) => options.log?.push(l),
  });
  const task = async (run: number, options: { signal?: AbortSignal; log?: string[] } = {}): Promise<TaskStatus> =>
    runSweepTask(configFile(loaded.sweep, loaded.runs[run]!.name), { evaluate: true, threads: 1 }, hooks(options));

  it('trains a new run, keeps its run.json, evaluates it on the test split, and skips it the next time', async () => {
    const log: string[] = [];
    assert.equal(await task(0, { log }), 'completed');
    const folder = loaded.runs[0]!.request.out;
    assert.equal((await readRunRecord(folder))?.status, 'completed');
    assert.ok(existsSync(path.join(folder, 'eval-data.json')));
    assert.match(log.join('\n'), /l0-s3: starting\n.*\nepoch 1\/2: .*\nepoch 2\/2: .*\n/);
    assert.match(log.join('\n'), /\ncompleted: 2 epoch\(s\), best epoch \d\nevaluating .*\ntest split: 3 images/);
    const again: string[] = [];
    assert.equal(await task(0, { log: again }), 'skipped');
    assert.match(again.join('\n'), /l0-s3: completed already; nothing to do/);
  });

  it('stops on its signal with last.ckpt saved, and the next attempt resumes the run', async () => {
    const abort = new AbortController();
    const folder = loaded.runs[1]!.request.out;
    // Stops once the first step is in progress.jsonl.
    const watcher = setInterval(() => {
      const stepped = (text: string): void => void (text.includes('"type":"step"') && abort.abort());
      void readFile(path.join(folder, 'progress.jsonl'), 'utf8').then(stepped, () => undefined);
    }, 20);
    try {
      assert.equal(await task(1, { signal: abort.signal }), 'cancelled');
    } finally {
      clearInterval(watcher);
    }
    assert.equal((await readRunRecord(folder))?.status, 'cancelled');
    assert.ok(existsSync(path.join(folder, 'last.ckpt')));
    const log: string[] = [];
    assert.equal(await task(1, { log }), 'completed');
    assert.match(log.join('\n'), /l1-s3: resuming, the run is cancelled/);
    assert.equal((await readRunRecord(folder))?.status, 'completed');
  });

  it('refuses a run folder that holds a run with other settings, changing nothing', async () => {
    const file = configFile(loaded.sweep, loaded.runs[0]!.name);
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const changed = path.join(path.dirname(file), 'changed.au-lens-run.json');
    await writeFile(changed, JSON.stringify({ ...config, lambda: 9 }));
    const before = await readFile(path.join(loaded.runs[0]!.request.out, 'run.json'), 'utf8');
    await assert.rejects(runSweepTask(changed, { evaluate: false, threads: 1 }, hooks()),
      /l0-s3: the run folder holds a run with other settings \(lambda 0 → 9\)/);
    assert.equal(await readFile(path.join(loaded.runs[0]!.request.out, 'run.json'), 'utf8'), before);
  });

  it('fails a run whose data cannot train, with the reason in run.json, and starts it afresh once it can', async () => {
    const empty = path.join(ws.root, 'empty');
    await mkdir(path.join(empty, 'happy'), { recursive: true });
    const file = path.join(ws.root, 'broken.au-lens-sweep.json');
    const json = { base: { data: 'empty', epochs: 1, batch: 4, threads: 1 }, axes: { seed: [3] } };
    await writeFile(file, JSON.stringify(json));
    const broken = await loadSweep(file);
    await writeSweepPlan(broken.sweep, broken.runs);
    const run = (): Promise<TaskStatus> =>
      runSweepTask(configFile(broken.sweep, 's3'), { evaluate: true, threads: 1 }, hooks());
    await assert.rejects(run());
    const record = await readRunRecord(broken.runs[0]!.request.out);
    assert.equal(record?.status, 'failed');
    assert.ok(record?.error);
    const status = await sweepStatus(broken.sweep.out, broken.runs, { slurm: false });
    assert.deepEqual([status.runs[0]!.state, status.runs[0]!.error], ['failed', record.error]);
    await rm(empty, { recursive: true });
    await cp(ws.data, empty, { recursive: true });
    assert.equal(await run(), 'completed');
    assert.equal((await readRunRecord(broken.runs[0]!.request.out))?.status, 'completed');
  });

  it('gives the status and the numbers of every run, summarised over seeds', async () => {
    const status = await sweepStatus(loaded.sweep.out, loaded.runs, { slurm: false });
    assert.equal(status.counts.completed, 2);
    assert.ok(status.runs.every((r) => r.evaluated && r.record?.status === 'completed' && r.slurm === undefined));
    const metrics = await Promise.all(loaded.runs.map((r) => readRunMetrics(r)));
    for (const m of metrics) {
      const keys = [
        'val.accuracy', 'val.attCos.stage3', 'test.accuracy', 'test.attCos.stage3',
        'test.camCos.gradcam', 'test.camCos.layercam',
      ];
      for (const key of keys) {
        assert.ok(key in m.metrics, `${m.name}: ${key} in ${Object.keys(m.metrics).join(', ')}`);
      }
    }
    const summary = summariseOverSeeds(metrics);
    assert.deepEqual(summary.map((g) => [g.point, g.runs]), [[{ lambda: 0 }, ['l0-s3']], [{ lambda: 1 }, ['l1-s3']]]);
    assert.equal(summary[0]!.metrics['test.accuracy']?.mean, metrics[0]!.metrics['test.accuracy']);
  });
});
