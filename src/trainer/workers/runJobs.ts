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
  const aborted = new Promise<never>((_, reject) => {
    if (!signal) return;
    const stop = (): void => reject(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => undefined);
  const running = new Map<number, Promise<{ index: number; result: R }>>();
  let next = 0;
  while (next < count || running.size > 0) {
    signal?.throwIfAborted();
    while (next < count && running.size < window) {
      const index = next++;
      const promise = exec(index).then((result) => ({ index, result }));
      // A failure is delivered by the race below; this keeps one that is never raced from crashing the process.
      promise.catch(() => undefined);
      running.set(index, promise);
    }
    const { index, result } = await Promise.race([aborted, ...running.values()]);
    running.delete(index);
    await runner.onResult(index, result);
  }
}
