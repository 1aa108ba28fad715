/**
 * Runs `count` numbered jobs either on a worker pool, several at a time, or one after the other on this thread,
 * handing each result to `onResult` as it comes (in completion order, one call at a time). Used by the landmark
 * pass and by sample preparation, which both must work with and without worker threads.
 */
import type { Pool } from './pool';

export interface JobRunner<J, R> {
  readonly count: number;
  /** The job of item i, sent to the worker's `method` or run by `inThread`. */
  job(index: number): J;
  /** Worker pool and method; without it, jobs run on this thread through `inThread`, one at a time. */
  readonly pool?: { readonly pool: Pool; readonly method: string; readonly workers: number };
  inThread(job: J): Promise<R>;
  onResult(index: number, result: R): void | Promise<void>;
  /** Stops handing out jobs; the promise rejects with the signal's reason. The caller ends the pool. */
  readonly signal?: AbortSignal;
}

/** Jobs in flight per worker: enough to keep each busy while results travel back, few enough to bound memory. */
const JOBS_PER_WORKER = 4;

export async function runJobs<J, R>(runner: JobRunner<J, R>): Promise<void> {
  const { count, pool, signal } = runner;
  const window = pool ? pool.workers * JOBS_PER_WORKER : 1;
  const exec = (index: number): Promise<R> => {
    const job = runner.job(index);
    return pool ? Promise.resolve(pool.pool.exec(pool.method, [job]) as PromiseLike<R>) : runner.inThread(job);
  };
  // Settled jobs queue up here and wake the loop. Racing the running jobs against a promise that lives as long as
  // the loop (the abort) would leave that promise one reaction per race, each holding its result: every prepared
  // record would stay in memory until the end.
  const settled: ({ index: number } & ({ ok: true; result: R } | { ok: false; error: unknown }))[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  signal?.addEventListener('abort', notify, { once: true });
  let running = 0;
  let next = 0;
  try {
    while (next < count || running > 0) {
      signal?.throwIfAborted();
      while (next < count && running < window) {
        const index = next++;
        running++;
        void exec(index).then(
          (result) => settled.push({ index, ok: true, result }),
          (error: unknown) => settled.push({ index, ok: false, error }),
        ).finally(notify);
      }
      if (settled.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      signal?.throwIfAborted();
      const done = settled.shift();
      if (done === undefined) continue;
      running--;
      if (!done.ok) throw done.error;
      await runner.onResult(done.index, done.result);
    }
  } finally {
    signal?.removeEventListener('abort', notify);
  }
}
