import assert from 'node:assert/strict';
import { describeAction, runAction } from '../../../src/trainer/sweep/runAction';
import type { RunFolderState } from '../../../src/trainer/sweep/runAction';
import { runState } from '../../../src/trainer/sweep/sweepStatus';
import type { RunRecord, RunStatus } from '../../../src/trainer/train/runLog';
import type { TrainRequest } from '../../../src/trainer/train/trainRequest';

const request: TrainRequest = { data: '/d', out: '/o/l4-s1', preset: 'tiny64', lambda: 4, seed: 1, epochs: 3 };

function record(status: RunStatus, change: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1, name: 'l4-s1', status, settings: { ...request, resume: false }, pid: 4242, startedAt: '', updatedAt: '',
    epochs: { done: status === 'completed' ? 3 : 1, total: 3 }, ...change,
  };
}

const folder = (status: RunStatus, hasLastCheckpoint = true): RunFolderState =>
  ({ record: record(status), hasLastCheckpoint });
const alive = (): boolean => true;
const dead = (): boolean => false;

describe('what a sweep does with a run folder', () => {
  it('starts a new run, resumes a stopped one, skips a completed one, and leaves a live one alone', () => {
    assert.deepEqual(runAction({ hasLastCheckpoint: false }, request, dead), { kind: 'new', clear: false });
    assert.deepEqual(runAction(folder('failed', false), request, dead), { kind: 'new', clear: true });
    assert.deepEqual(runAction(folder('completed'), request, dead), { kind: 'done' });
    assert.deepEqual(runAction(folder('running'), request, alive), { kind: 'busy', pid: 4242 });
    for (const status of ['running', 'cancelled', 'interrupted', 'failed'] as const) {
      assert.equal(runAction(folder(status), request, dead).kind, 'resume', status);
    }
    assert.match(describeAction(runAction(folder('running'), request, dead), 'l4-s1'),
      /resuming, the run was interrupted \(1 of 3 epochs\)/);
    assert.deepEqual(runAction({ hasLastCheckpoint: true }, request, dead),
      { kind: 'resume', why: 'the run is unfinished (its last.ckpt)' });
  });

  it('extends a completed run given more epochs, and refuses a folder that holds a run with other settings', () => {
    const completed = folder('completed');
    assert.deepEqual(runAction(completed, { ...request, epochs: 5 }, dead),
      { kind: 'resume', why: 'to extend it from 3 to 5 epochs' });
    const conflict = runAction(completed, { ...request, lambda: 1, epochs: 2, threads: 8 }, dead);
    assert.deepEqual(conflict, { kind: 'conflict', differences: ['lambda 4 → 1', 'epochs 3 → 2'] });
    assert.match(describeAction(conflict, 'l4-s1'),
      /other settings \(lambda 4 → 1; epochs 3 → 2\); delete that run folder, or give the sweep another "out"/);
    assert.deepEqual(runAction(folder('cancelled'), { ...request, layers: ['stage2'] }, dead),
      { kind: 'conflict', differences: ['layers default → ["stage2"]'] });
  });
});

describe('a run\'s state in the sweep', () => {
  const task = (state: string): { jobId: string; task: number; state: string } => ({ jobId: '12', task: 3, state });

  it('trusts an active Slurm task first, then run.json, then how the task ended', () => {
    assert.deepEqual(runState(undefined, undefined, dead), { state: 'not started' });
    assert.deepEqual(runState(undefined, task('PENDING'), dead), { state: 'pending' });
    assert.deepEqual(runState(record('cancelled'), task('PENDING'), dead), { state: 'pending' });
    assert.deepEqual(runState(record('running'), task('RUNNING'), dead), { state: 'running' });
    assert.deepEqual(runState(record('completed'), task('COMPLETED'), dead), { state: 'completed' });
    assert.deepEqual(runState(record('failed', { error: 'diverged' }), task('FAILED'), dead),
      { state: 'failed', error: 'diverged' });
    assert.deepEqual(runState(undefined, { ...task('FAILED'), exitCode: '127:0' }, dead),
      { state: 'failed', error: 'Slurm task 12_3: FAILED (exit 127:0)' });
    assert.deepEqual(runState(undefined, task('CANCELLED'), dead), { state: 'cancelled' });
    // The task is over, yet run.json still says running: the node died, or the time limit's kill came first.
    const timeout = 'Slurm task 12_3: TIMEOUT';
    assert.deepEqual(runState(record('running'), task('TIMEOUT'), alive), { state: 'interrupted', error: timeout });
    assert.deepEqual(runState(record('cancelled'), task('TIMEOUT'), dead), { state: 'cancelled', error: timeout });
    assert.deepEqual(runState(record('running'), undefined, alive), { state: 'running' });
    assert.deepEqual(runState(record('running'), undefined, dead), { state: 'interrupted' });
  });
});
