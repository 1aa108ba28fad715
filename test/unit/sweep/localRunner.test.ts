import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadSweep } from '../../../src/trainer/sweep/loadSweep';
import { defaultParallel, outcomeOfExit, runSweepLocally } from '../../../src/trainer/sweep/localRunner';
import { LOCAL_LOG } from '../../../src/trainer/train/runFiles';
import type { LocalProgress } from '../../../src/trainer/sweep/localRunner';
import { writeSweepPlan } from '../../../src/trainer/sweep/sweepPlan';
import type { SweepPlanFile } from '../../../src/trainer/sweep/sweepPlan';
import { makeTempDir } from '../io/fixtures';

/**
 * Stands in for `au-lens sweep task`: notes when it starts and ends, fails the run of λ 3, and on SIGTERM stops
 * the way the real task does (it raises the signal again once it has "saved").
 */
const FAKE_TASK = `
const fs = require('node:fs');
const [, , , , config, , threads] = process.argv;
const name = require('node:path').basename(config, '.au-lens-run.json');
const note = (what) => fs.appendFileSync(process.env.EVENTS, what + ' ' + name + ' ' + Date.now() + '\\n');
process.once('SIGTERM', () => { note('stopped'); process.kill(process.pid, 'SIGTERM'); });
note('start');
console.log('task ' + name + ' threads ' + threads + ' ' + process.argv.slice(7).join(' '));
setTimeout(() => { note('end'); process.exit(name.includes('l3') ? 1 : 0); }, Number(process.env.TASK_MS));
`;

describe('the local sweep runner', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  let plan: SweepPlanFile;
  let out = '';
  let script = '';

  before(async () => {
    ({ dir, cleanup } = await makeTempDir('local-runner'));
    script = path.join(dir, 'fake-au-lens.js');
    await writeFile(script, FAKE_TASK);
    const file = path.join(dir, 's.au-lens-sweep.json');
    await writeFile(file, JSON.stringify({ base: { data: 'data' }, axes: { lambda: [0, 1, 2, 3, 4] } }));
    const { sweep, runs } = await loadSweep(file);
    out = sweep.out;
    plan = await writeSweepPlan(sweep, runs);
  });
  after(() => cleanup());

  type Outcomes = Map<string, string>;
  type OnProgress = (p: LocalProgress) => void;
  const run = (events: string, taskMs: number, signal: AbortSignal, onProgress: OnProgress): Promise<Outcomes> =>
    runSweepLocally(out, plan.runs, {
      parallel: 2, threads: 3, evaluate: true, command: { node: process.execPath, script }, signal,
      env: { ...process.env, EVENTS: events, TASK_MS: String(taskMs) }, onProgress,
    });

  it('runs N at a time, each with the task command, its threads and its log, and reports every outcome', async () => {
    const events = path.join(dir, 'events-all.txt');
    const progress: LocalProgress[] = [];
    const outcomes = await run(events, 200, new AbortController().signal, (p) => progress.push(p));
    assert.deepEqual(Object.fromEntries(outcomes),
      { l0: 'completed', l1: 'completed', l2: 'completed', l3: 'failed', l4: 'completed' });
    // The runner had two children at once, and the children never overlapped by more than two.
    assert.equal(Math.max(...progress.map((p) => p.running.length)), 2);
    let running = 0;
    for (const line of (await readFile(events, 'utf8')).trim().split('\n')) {
      running += line.startsWith('start') ? 1 : -1;
      assert.ok(running <= 2, line);
    }
    const last = progress[progress.length - 1]!;
    assert.deepEqual([last.total, last.done, last.failed, last.running.length], [5, 4, 1, 0]);
    assert.deepEqual(progress.filter((p) => p.event === 'started').length, 5);
    const log = await readFile(path.join(out, 'l2', LOCAL_LOG), 'utf8');
    assert.match(log, /== .*: au-lens sweep task, local runner \d+\ntask l2 threads 3 --evaluate\n/);
  });

  it('on cancel starts no more runs and stops the running ones with SIGTERM', async () => {
    const events = path.join(dir, 'events-cancel.txt');
    const abort = new AbortController();
    // Once both children have started (and set up their SIGTERM handler).
    const watcher = setInterval(() => {
      void readFile(events, 'utf8').then((t) => t.split('start').length > 2 && abort.abort(), () => undefined);
    }, 20);
    const outcomes = await run(events, 30_000, abort.signal, () => undefined).finally(() => clearInterval(watcher));
    assert.deepEqual(Object.fromEntries(outcomes), { l0: 'cancelled', l1: 'cancelled' });
    const lines = (await readFile(events, 'utf8')).trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '));
    assert.deepEqual(lines.sort(), ['start l0', 'start l1', 'stopped l0', 'stopped l1']);
  });

  it('takes a signal for "cancelled", any other end for "failed", and one run per two cores', () => {
    assert.equal(outcomeOfExit(0, null), 'completed');
    assert.equal(outcomeOfExit(null, 'SIGTERM'), 'cancelled');
    assert.equal(outcomeOfExit(null, 'SIGKILL'), 'failed');
    assert.equal(outcomeOfExit(1, null), 'failed');
    assert.deepEqual([1, 2, 3, 8, 16].map((c) => defaultParallel(c)), [1, 1, 1, 4, 8]);
  });
});
