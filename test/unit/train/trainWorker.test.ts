/**
 * The worker method 'train/run' as the editor uses it: progress events, run.json and progress.jsonl kept in the run
 * folder, cancel mid-epoch that keeps best.ckpt intact and resumable, and request errors that write nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { HOST_CLOSING } from '../../../src/trainer/protocol';
import { loadCheckpoint } from '../../../src/trainer/train/checkpoint';
import type { TrainEvent } from '../../../src/trainer/train/options';
import { interruptedRecord, readProgress, readRunRecord } from '../../../src/trainer/train/runLog';
import type { TrainRequest } from '../../../src/trainer/train/trainRequest';
import { WorkerClient, WorkerRequestError } from '../../../src/trainer/workerClient';
import { repoRoot } from '../../helpers/paths';
import { useTrainingWorkspace } from './fixtures';

describe('trainer worker: train/run', function () {
  this.timeout(120_000);
  const script = path.join(repoRoot, 'dist', 'worker.js');
  const ws = useTrainingWorkspace('train-worker');
  let client: WorkerClient;
  const request = (out: string, more: Partial<TrainRequest> = {}): TrainRequest =>
    ({ data: ws.data, out: path.join(ws.root, out), preset: 'tiny64', lambda: 1, epochs: 2, batch: 4, seed: 3, threads: 1, lr: 0.01, cacheDir: ws.cache, ...more });

  before(function () {
    assert.ok(existsSync(script), `${script} is missing: run "npm run build" first`);
    client = new WorkerClient(script);
  });
  after(async () => client?.dispose());

  it('reports every TrainEvent, logs them to progress.jsonl, and cancelling mid-epoch keeps best.ckpt intact and resumable', async () => {
    const out = path.join(ws.root, 'run');
    const events: TrainEvent[] = [];
    const abort = new AbortController();
    let bestAfterEpoch1: Buffer | undefined;
    const cancelled = await client.request('train/run', request('run'), {
      signal: abort.signal,
      onProgress: (e) => {
        events.push(e);
        if (e.type === 'epoch' && e.epoch === 1) void readFile(path.join(out, 'best.ckpt')).then((b) => (bestAfterEpoch1 = b));
        if (e.type === 'step' && e.epoch === 2 && e.batch === 1) abort.abort();
      },
    });
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(events.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i), ['data', 'prepare', 'prepared', 'device', 'step', 'checkpoint', 'epoch', 'stopped']);
    assert.deepEqual((await readProgress(out)).events, events, 'progress.jsonl holds the events in order');
    const cancelledRecord = await readRunRecord(out);
    assert.equal(cancelledRecord?.status, 'cancelled');
    assert.deepEqual(cancelledRecord?.epochs, { done: 1, total: 2 });
    assert.equal(cancelledRecord?.options?.preset, 'tiny64');
    assert.ok(bestAfterEpoch1, 'best.ckpt was written after epoch 1');
    assert.deepEqual(await readFile(path.join(out, 'best.ckpt')), bestAfterEpoch1, 'cancelling did not touch best.ckpt');
    // The cancel crosses the thread boundary while the next step may already run.
    assert.ok((await loadCheckpoint(path.join(out, 'last.ckpt'))).optimizer.batchInEpoch > 0, 'last.ckpt saved mid-epoch');

    const resumedEvents: TrainEvent[] = [];
    const resumed = await client.request('train/run', { data: ws.data, out, resume: true, threads: 1, cacheDir: ws.cache }, { onProgress: (e) => resumedEvents.push(e) });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.epochs, 2);
    const record = await readRunRecord(out);
    assert.equal(record?.status, 'completed');
    assert.deepEqual(record?.epochs, { done: 2, total: 2 });
    assert.equal(record?.settings.preset, 'tiny64', 'the settings stay those the run started with');
    assert.ok(record?.endedAt);
    assert.deepEqual((await readProgress(out)).events, [...events, ...resumedEvents], 'a resumed run appends to the log');
  });

  it('refuses bad settings and a used run folder before writing anything, naming the field', async () => {
    await assert.rejects(client.request('train/run', request('bad-batch', { batch: 1 })),
      (err: Error) => err instanceof WorkerRequestError && /"batch" must be at least 2/.test(err.message));
    await assert.rejects(client.request('train/run', request('bad-layer', { layers: ['stage9'] })),
      (err: Error) => err instanceof WorkerRequestError && /"layers": preset "tiny64" has no layer "stage9"/.test(err.message));
    assert.ok(!existsSync(path.join(ws.root, 'bad-batch')) && !existsSync(path.join(ws.root, 'bad-layer')));
    const before = await readFile(path.join(ws.root, 'run', 'run.json'), 'utf8');
    await assert.rejects(client.request('train/run', request('run')),
      (err: Error) => err instanceof WorkerRequestError && /already holds a run \(run\.json\); resume it or choose another run name/.test(err.message));
    assert.equal(await readFile(path.join(ws.root, 'run', 'run.json'), 'utf8'), before);
  });

  it('a host that closes mid-run stops it as a cancel does (last.ckpt saved) but leaves "running" for the next window to offer', async () => {
    const out = path.join(ws.root, 'host-closing');
    const abort = new AbortController();
    const outcome = await client.request('train/run', request('host-closing'), {
      signal: abort.signal,
      onProgress: (e) => e.type === 'step' && e.epoch === 2 && e.batch === 1 && abort.abort(HOST_CLOSING),
    });
    assert.equal(outcome.status, 'cancelled');
    const record = await readRunRecord(out);
    assert.equal(record?.status, 'running');
    assert.equal(record?.endedAt, undefined);
    assert.deepEqual(record?.epochs, { done: 1, total: 2 });
    assert.ok((await loadCheckpoint(path.join(out, 'last.ckpt'))).optimizer.batchInEpoch > 0, 'last.ckpt saved mid-epoch');
    // The next window: the process that trained it (this one, here) no longer trains it.
    assert.equal(interruptedRecord(record!, new Date(), () => true, record!.pid)?.status, 'interrupted');
  });

  it('a run that fails on its data ends "failed" in run.json with the reason, as a request error', async () => {
    const out = path.join(ws.root, 'one-class');
    await assert.rejects(client.request('train/run', request('one-class', { data: path.join(ws.data, 'happy') })),
      (err: Error) => err instanceof WorkerRequestError);
    const record = await readRunRecord(out);
    assert.equal(record?.status, 'failed');
    assert.ok(record?.error && record.error.length > 0);
  });
});
