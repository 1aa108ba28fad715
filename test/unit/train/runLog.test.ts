import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import type { TrainEvent } from '../../../src/trainer/train/options';
import type { RunRecord } from '../../../src/trainer/train/runLog';
import { interruptedRecord, ProgressLog, progressFile, readProgress, readRunRecord, runFile, writeRunRecord } from '../../../src/trainer/train/runLog';
import { makeTempDir } from '../io/fixtures';

const record: RunRecord = {
  version: 1, name: 'r', status: 'running', settings: { data: '/d', out: '/o', preset: 'tiny64' }, pid: 4242,
  startedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', epochs: { done: 0, total: 2 },
};
const step = (n: number, loss: number): TrainEvent => ({ type: 'step', epoch: 1, batch: n, batches: 4, step: n, loss, ce: loss, align: 0, lr: 0.01, imagesPerSecond: 10, dataWaitSeconds: 0 });

describe('run log: run.json and progress.jsonl', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('run-log')));
  afterEach(() => cleanup());

  it('writes and reads a run record; a folder without one has none', async () => {
    assert.equal(await readRunRecord(dir), undefined);
    await writeRunRecord(dir, record);
    assert.deepEqual(await readRunRecord(dir), record);
  });

  it('refuses a run.json that is broken or not a run record, naming the file', async () => {
    await writeFile(runFile(dir), '{"version": 1,');
    await assert.rejects(readRunRecord(dir), /run\.json: not valid JSON/);
    await writeFile(runFile(dir), JSON.stringify({ ...record, status: 'paused' }));
    await assert.rejects(readRunRecord(dir), /run\.json is not an AU Lens run record/);
  });

  it('appends events in order and reads them back, skipping a torn last line', async () => {
    assert.deepEqual(await readProgress(dir), { events: [], skipped: 0 });
    const log = new ProgressLog(progressFile(dir), () => undefined);
    log.append(step(1, 1.5));
    log.append(step(2, 1.25));
    await appendFile(progressFile(dir), '{"type":"step","epo');
    const { events, skipped } = await readProgress(dir);
    assert.deepEqual(events, [step(1, 1.5), step(2, 1.25)]);
    assert.equal(skipped, 1);
  });

  it('marks a running run whose process is gone as interrupted, and leaves live or ended runs alone', () => {
    const now = new Date('2026-01-01T01:00:00.000Z');
    const gone = interruptedRecord(record, now, () => false);
    assert.equal(gone?.status, 'interrupted');
    assert.equal(gone?.endedAt, now.toISOString());
    assert.match(gone?.error ?? '', /closed while the run was training/);
    assert.equal(interruptedRecord(record, now, () => true), undefined);
    assert.equal(interruptedRecord(record, now, () => true, 4242)?.status, 'interrupted', 'this process knows it is not training it');
    assert.equal(interruptedRecord({ ...record, status: 'completed' }, now, () => false), undefined);
  });
});
