/**
 * The run lock: one training per run folder, taken atomically, refused with its holder, stale locks taken over,
 * released on every way out — and two `au-lens train --resume --out R` processes at once: the second is refused.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireRunLock, isRunLocked, readRunLock, RUN_LOCK_FILE, RunLockedError } from '../../../src/trainer/train/runLock';
import { repoRoot } from '../../helpers/paths';
import { makeTempDir } from '../io/fixtures';
import { recordRun, trainOptions, useTrainingWorkspace } from './fixtures';

/** A pid above Linux's default pid_max: no process has it. */
const DEAD_PID = 2 ** 22 + 1;

async function writeLock(folder: string, fields: Record<string, unknown>): Promise<void> {
  await mkdir(folder, { recursive: true });
  const lock = { pid: DEAD_PID, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'train', token: 'f'.repeat(32), ...fields };
  await writeFile(path.join(folder, RUN_LOCK_FILE), JSON.stringify(lock));
}

describe('train/runLock', function () {
  this.timeout(120_000);
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  before(async () => ({ dir: root, cleanup } = await makeTempDir('run-lock')));
  after(() => cleanup());

  it('is taken atomically with pid, host and start time, refused to a second taker naming the holder, and released', async () => {
    const folder = path.join(root, 'a');
    const lock = await acquireRunLock(folder, 'train');
    const state = await readRunLock(folder);
    assert.deepEqual(state, { holder: lock.info, stale: false });
    assert.equal(lock.info.pid, process.pid);
    assert.equal(lock.info.host, os.hostname());
    assert.ok(await isRunLocked(folder));
    await assert.rejects(acquireRunLock(folder, 'resume'), (err: Error) =>
      err instanceof RunLockedError && err.holder.token === lock.info.token &&
      new RegExp(`is in use by another training \\(pid ${process.pid} on this host, started .* by train\\)`).test(err.message));
    // Ten takers at once: exactly one gets it.
    await lock.release();
    const tries = await Promise.allSettled(Array.from({ length: 10 }, () => acquireRunLock(folder, 'train')));
    const won = tries.filter((t): t is PromiseFulfilledResult<Awaited<ReturnType<typeof acquireRunLock>>> => t.status === 'fulfilled');
    assert.equal(won.length, 1);
    assert.ok(tries.every((t) => t.status === 'fulfilled' || t.reason instanceof RunLockedError));
    await won[0]!.value.release();
    assert.equal(await readRunLock(folder), undefined);
    assert.equal(await isRunLocked(folder), false);
  });

  it('takes over a stale lock (dead pid on this host, or a damaged file) and says whose', async () => {
    const folder = path.join(root, 'stale');
    await writeLock(folder, {});
    assert.deepEqual((await readRunLock(folder))?.stale, true);
    assert.equal(await isRunLocked(folder), false);
    const lock = await acquireRunLock(folder, 'resume');
    assert.equal(lock.tookOver?.holder?.pid, DEAD_PID);
    await lock.release();
    await writeFile(path.join(folder, RUN_LOCK_FILE), '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    execFileSync('touch', ['-d', old.toISOString(), path.join(folder, RUN_LOCK_FILE)]);
    const again = await acquireRunLock(folder, 'train');
    assert.equal(again.tookOver?.holder, null);
    await again.release();
  });

  it('refuses a lock held on another host (its pid cannot be checked from here) or by a live process', async () => {
    const other = path.join(root, 'other-host');
    await writeLock(other, { host: `not-${os.hostname()}` });
    await assert.rejects(acquireRunLock(other, 'train'), /in use by another training \(pid 4194305 on host not-/);
    const live = path.join(root, 'live');
    await writeLock(live, { pid: process.ppid });
    await assert.rejects(acquireRunLock(live, 'train'), RunLockedError);
    assert.ok(await isRunLocked(live));
  });

  it('release leaves alone a lock that is no longer its own, and a process that exits releases its locks', async () => {
    const folder = path.join(root, 'stolen');
    const lock = await acquireRunLock(folder, 'train');
    await writeLock(folder, { pid: process.ppid, token: 'e'.repeat(32) });
    await lock.release();
    assert.equal((await readRunLock(folder))?.holder?.token, 'e'.repeat(32));

    const exiting = path.join(root, 'exiting');
    const script = `require('tsx/cjs'); require(${JSON.stringify(path.join(repoRoot, 'src/trainer/train/runLock.ts'))})` +
      `.acquireRunLock(${JSON.stringify(exiting)}, 'train').then(() => process.exit(3));`;
    assert.throws(() => execFileSync(process.execPath, ['-e', script], { cwd: repoRoot, stdio: 'pipe' }), (err: { status?: number }) => err.status === 3);
    assert.ok(existsSync(exiting), 'the lock was taken');
    assert.equal(await readRunLock(exiting), undefined, 'process.exit released it');
  });

  describe('two au-lens train --resume --out R at once', () => {
    const ws = useTrainingWorkspace('run-lock-cli');
    const cli = path.join(repoRoot, 'bin', 'au-lens.js');
    const children: ChildProcess[] = [];
    after(() => children.forEach((c) => c.kill('SIGKILL')));

    function start(out: string): { child: ChildProcess; done: Promise<{ code: number | null; err: string }> } {
      const child = spawn(process.execPath, [cli, 'train', '--data', ws.data, '--out', out, '--resume', '--epochs', '40', '--threads', '1', '--cache', ws.cache, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout!.resume();
      return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, err }))) };
    }

    async function lockedBy(out: string, pid: number): Promise<void> {
      for (let i = 0; i < 600; i++) {
        if ((await readRunLock(out))?.holder?.pid === pid) return;
        await sleep(100);
      }
      assert.fail(`process ${pid} never took ${out}/run.lock`);
    }

    it('the second is refused naming the first; killed, the first leaves a stale lock the next run takes over', async function () {
      assert.ok(existsSync(path.join(repoRoot, 'dist', 'cli.js')), 'run "npm run build" first');
      const out = path.join(ws.root, 'R');
      await recordRun(trainOptions(ws.data, out, ws.cache, { epochs: 1 }));
      assert.ok(!existsSync(path.join(out, RUN_LOCK_FILE)), 'the in-process run released its lock');
      const first = start(out);
      await lockedBy(out, first.child.pid!);
      const second = await start(out).done;
      assert.equal(second.code, 1, second.err);
      assert.match(second.err, new RegExp(`is in use by another training \\(pid ${first.child.pid} on this host, started .* by resume\\)`));
      assert.equal((await readRunLock(out))?.holder?.pid, first.child.pid, 'the refused run left the lock alone');
      // Killed mid-run (no chance to clean up): its lock stays, stale, and the next resume takes it over.
      first.child.kill('SIGKILL');
      await first.done;
      assert.equal((await readRunLock(out))?.stale, true);
      const lock = await acquireRunLock(out, 'resume');
      assert.equal(lock.tookOver?.holder?.pid, first.child.pid);
      await lock.release();
    });
  });
});
