import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import * as path from 'node:path';
import { runFilesToDelete } from '../../../src/extension/runs/runDeletion';
import { runLockHolder } from '../../../src/extension/runs/runLockHolder';
import { acquireRunLock, RUN_LOCK_FILE } from '../../../src/trainer/train/runLock';

describe('Delete Run: only a folder that holds nothing but its run, inside the workspace', () => {
  let ws = '';
  const make = async (folder: string, names: readonly string[]): Promise<string> => {
    await mkdir(folder, { recursive: true });
    for (const name of names) await writeFile(path.join(folder, name), 'x');
    return folder;
  };
  before(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'au-lens-delete-'));
  });
  after(() => rm(ws, { recursive: true, force: true }));

  it('lists a run folder\'s files', async () => {
    const run = await make(path.join(ws, 'runs', 'r1'), ['run.json', 'progress.jsonl', 'last.ckpt', 'eval-d.json']);
    assert.deepEqual((await runFilesToDelete(run, [ws])).map((f) => path.basename(f)),
      ['eval-d.json', 'last.ckpt', 'progress.jsonl', 'run.json']);
  });

  it('refuses a folder that holds other files or folders, naming them', async () => {
    const run = await make(path.join(ws, 'runs', 'mixed'), ['best.ckpt', 'thesis.tex', 'a.png', 'b.png', 'c.png']);
    await mkdir(path.join(run, 'data'));
    await mkdir(path.join(run, 'old.ckpt'));
    await assert.rejects(runFilesToDelete(run, [ws]),
      /holds files that are not the run's \(a\.png, b\.png, c\.png and 3 more\); AU Lens deletes only/);
  });

  it('refuses the workspace folder itself, a folder above it and a folder outside it', async () => {
    await make(ws, ['run.json', 'best.ckpt']);
    await assert.rejects(runFilesToDelete(ws, [ws]), /is a workspace folder or holds one/);
    await assert.rejects(runFilesToDelete(path.dirname(ws), [ws]), /is a workspace folder or holds one/);
    const outside = await mkdtemp(path.join(os.tmpdir(), 'au-lens-outside-'));
    try {
      await make(outside, ['best.ckpt']);
      await assert.rejects(runFilesToDelete(outside, [ws]), /is outside the workspace/);
      await assert.rejects(runFilesToDelete(path.join(ws, '..', path.basename(outside)), [ws]), /outside the workspace/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a run lock held by a live training names it; none, or a stale one, names nobody', async () => {
    const run = await make(path.join(ws, 'runs', 'locked'), ['last.ckpt']);
    assert.equal(await runLockHolder(run), undefined);
    const lock = await acquireRunLock(run, 'resume');
    try {
      assert.match(await runLockHolder(run) ?? '', new RegExp(`^pid ${process.pid} on this host, started .* by resume$`));
    } finally {
      await lock.release();
    }
    const stale = { pid: 4_194_305, host: os.hostname(), startedAt: new Date().toISOString(), command: 'train',
      token: 'f'.repeat(32) };
    await writeFile(path.join(run, RUN_LOCK_FILE), JSON.stringify(stale));
    assert.equal(await runLockHolder(run), undefined);
  });
});
