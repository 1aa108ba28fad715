/**
 * Pools of worker threads for the data pipeline, on the workerpool package (maintained, no dependencies, and it
 * runs our own worker script, so esbuild can bundle each worker as one more entry point in dist/). Each pool runs
 * one script: prepareWorker.ts (landmarks and sample preparation; sharp, tfjs loaded on the first detection) or
 * batchWorker.ts (reading prepared samples and augmenting batches; pure JavaScript, small).
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import workerpool from 'workerpool';

export type WorkerScript = 'prepareWorker' | 'batchWorker';

export type Pool = ReturnType<typeof workerpool.pool>;

/**
 * The worker script beside this module: the bundle's `dist/<name>.js`, or under tsx (tests, scripts) the
 * TypeScript source, which the worker then loads through tsx too.
 */
function scriptFor(name: WorkerScript): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) {
    return { file: path.join(__dirname, `${name}.ts`), execArgv: ['--require', 'tsx/cjs'] };
  }
  return { file: path.join(__dirname, `${name}.js`), execArgv: [] };
}

/** `size` worker threads running `name`; they start on the first task. */
export function startPool(name: WorkerScript, size: number): Pool {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a worker pool needs at least one worker, got ${size}`);
  const { file, execArgv } = scriptFor(name);
  return workerpool.pool(file, { workerType: 'thread', maxWorkers: size, workerThreadOpts: { execArgv } });
}

/** The default number of workers: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
