import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runJobs } from '../../../src/trainer/workers/runJobs';

/** The engine's collector, which mocha runs without --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('workers/runJobs', () => {
  it('hands every result over once and keeps none it has handed over (a dataset streams through it)', async () => {
    const gc = collector();
    const handed: WeakRef<Uint8Array>[] = [];
    const seen: number[] = [];
    let reachable = -1;
    await runJobs<number, Uint8Array>({
      count: 50,
      job: (i) => i,
      inThread: async (i) => new Uint8Array(1024).fill(i),
      onResult: async (i, r) => {
        seen.push(i, r[0]!);
        handed.push(new WeakRef(r));
        if (i < 49) return;
        // Still inside the run: the results handed over before must be garbage by now.
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        reachable = handed.slice(0, 40).filter((w) => w.deref() !== undefined).length;
      },
      signal: new AbortController().signal,
    });
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => [i, i]).flat());
    assert.equal(reachable, 0, 'results handed over earlier are still held by the run');
  });

  it('stops with the signal\'s reason between two jobs', async () => {
    const abort = new AbortController();
    const done: number[] = [];
    await assert.rejects(runJobs<number, number>({
      count: 10, job: (i) => i, inThread: async (i) => i,
      onResult: (i) => {
        done.push(i);
        if (i === 2) abort.abort(new Error('stop here'));
      },
      signal: abort.signal,
    }), /stop here/);
    assert.deepEqual(done, [0, 1, 2]);
  });

  it('rejects with a failing job\'s error', async () => {
    await assert.rejects(runJobs<number, number>({
      count: 3, job: (i) => i, inThread: async (i) => (i === 1 ? Promise.reject(new Error('job 1 broke')) : i),
      onResult: () => {},
    }), /job 1 broke/);
  });
});
