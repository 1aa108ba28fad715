/**
 * The worker's training job keeps run.json and progress.jsonl apart from the run: a status write or a log append
 * that fails is noted and the run goes on, and the run lock keeps a second job off the folder.
 */
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { AtomicFs } from '../../../src/trainer/io/atomicFile';
import { fsWithFaults } from '../../helpers/fsWithFaults';
import { loadCheckpoint } from '../../../src/trainer/train/checkpoint';
import type { TrainEvent } from '../../../src/trainer/train/options';
import { readRunLock, RunLockedError } from '../../../src/trainer/train/runLock';
import { readRunRecord } from '../../../src/trainer/train/runLog';
import { runTrainJob } from '../../../src/trainer/train/trainJob';
import type { TrainRequest } from '../../../src/trainer/train/trainRequest';
import { FakeDetector, useTrainingWorkspace } from './fixtures';

/** node:fs/promises whose `failing`-th… opens of a run.json temp file fail with ENOSPC. */
function diskFullFor(failing: (n: number) => boolean): AtomicFs {
  let n = 0;
  return fsWithFaults({
    async open(file, flags) {
      if (file.includes('.run.json.') && failing(++n)) {
        throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
      }
      return nodeFs.open(file, flags);
    },
  });
}

describe('train/trainJob: status and progress writes', function () {
  this.timeout(120_000);
  const ws = useTrainingWorkspace('train-job');
  const request = (out: string): TrainRequest =>
    ({ data: ws.data, out: path.join(ws.root, out), preset: 'tiny64', lambda: 1, epochs: 2, batch: 4, seed: 3, threads: 1, lr: 0.01, cacheDir: ws.cache });
  const hooks = (events: TrainEvent[], more: { statusFs?: AtomicFs; signal?: AbortSignal } = {}) => ({
    onEvent: (e: TrainEvent) => events.push(e),
    signal: more.signal ?? new AbortController().signal,
    detector: async () => new FakeDetector(),
    defaultThreads: 1,
    ...(more.statusFs && { statusFs: more.statusFs }),
  });
  const notes = (events: readonly TrainEvent[]): string[] => events.flatMap((e) => (e.type === 'note' ? [e.message] : []));

  it('one failed run.json write neither marks a completed run failed nor drops the later status writes', async () => {
    const events: TrainEvent[] = [];
    // The second write (after epoch 1) fails; the ones after it must still land.
    const outcome = await runTrainJob(request('status'), hooks(events, { statusFs: diskFullFor((n) => n === 2) }));
    assert.equal(outcome.status, 'completed');
    const record = await readRunRecord(path.join(ws.root, 'status'));
    assert.equal(record?.status, 'completed');
    assert.deepEqual(record?.epochs, { done: 2, total: 2 });
    assert.match(notes(events).join('\n'), /cannot update .*run\.json \(status running\): ENOSPC/);
    assert.equal(await readRunLock(path.join(ws.root, 'status')), undefined, 'the lock went with the job');
  });

  it('a progress.jsonl that cannot be appended to is noted, not reported as a failed checkpoint save', async () => {
    const out = path.join(ws.root, 'progress');
    // A folder where the log should be: every append fails (EISDIR), as on a full disk.
    await mkdir(path.join(out, 'progress.jsonl'), { recursive: true });
    const events: TrainEvent[] = [];
    const outcome = await runTrainJob(request('progress'), hooks(events));
    assert.equal(outcome.status, 'completed');
    assert.equal((await loadCheckpoint(path.join(out, 'last.ckpt'))).epoch, 2);
    assert.equal((await readRunRecord(out))?.status, 'completed');
    const said = notes(events);
    assert.equal(said.length, 1, 'one note for the first failure, none for every later one');
    assert.match(said[0]!, /cannot append to .*progress\.jsonl \(EISDIR\); the run goes on/);
  });

  it('a second job on a folder another job trains is refused before it writes anything', async () => {
    const out = path.join(ws.root, 'twice');
    const abort = new AbortController();
    const events: TrainEvent[] = [];
    const first = runTrainJob(request('twice'), {
      ...hooks(events, { signal: abort.signal }),
      onEvent: (e: TrainEvent) => {
        events.push(e);
        if (e.type === 'step') abort.abort();
      },
    });
    while (!(await readRunLock(out))) await new Promise((r) => setTimeout(r, 20));
    const before = await nodeFs.readFile(path.join(out, 'run.json'), 'utf8').catch(() => '');
    await assert.rejects(runTrainJob({ ...request('twice'), resume: true }, hooks([])), (err: Error) =>
      err instanceof RunLockedError && err.holder.pid === process.pid);
    assert.equal((await first).status, 'cancelled');
    const after = await nodeFs.readFile(path.join(out, 'run.json'), 'utf8');
    assert.ok(before === '' || JSON.parse(after).status === 'cancelled', 'the refused job did not write run.json');
    assert.equal(await readRunLock(out), undefined);
  });

  it('a new run is refused, writing no run.json, in the data\'s folder, a folder above it or one of other files', async () => {
    await assert.rejects(runTrainJob({ ...request('x'), out: ws.root }, hooks([])),
      /is the dataset's folder or holds it; give a folder of its own for the run.*Nothing was changed/);
    const mine = path.join(ws.root, 'mine');
    await mkdir(mine, { recursive: true });
    await nodeFs.writeFile(path.join(mine, 'notes.md'), 'mine');
    await assert.rejects(runTrainJob({ ...request('x'), out: mine }, hooks([])),
      /holds files that are not a run's \(notes\.md\)/);
    assert.deepEqual(await nodeFs.readdir(mine), ['notes.md']);
    assert.equal(await readRunRecord(ws.root).catch(() => undefined), undefined);
  });
});
