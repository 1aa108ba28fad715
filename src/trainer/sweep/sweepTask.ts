/**
 * One run of a sweep, as every runner starts it (`au-lens sweep task CONFIG`: a local child process or a Slurm
 * array task): the run config read, the run folder looked at (runAction.ts), then the editor's own training job
 * (run.json and progress.jsonl kept up to date), and with `evaluate` the best checkpoint evaluated on the run's
 * test split (an eval file in the run folder). A cancel saves last.ckpt and stops; the next attempt resumes.
 */
import { rm, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runEvaluation } from '../eval/evalRun';
import { evalFileName } from '../eval/evalFile';
import type { FaceLandmarker } from '../io/landmarks';
import type { TrainEvent } from '../train/options';
import { processAlive } from '../io/liveProcess';
import { PROGRESS_FILE, RUN_FILE } from '../train/runLog';
import type { TrainRequest } from '../train/trainRequest';
import { runTrainJob } from '../train/trainJob';
import { describeAction, runAction } from './runAction';
import { readRunConfigFile, readRunFolderState } from './runFolder';

export type TaskStatus = 'completed' | 'skipped' | 'busy' | 'cancelled';

export interface SweepTaskOptions {
  /** Evaluate the best checkpoint on the run's test split once the run has completed. */
  readonly evaluate: boolean;
  /** Engine threads when the run config sets none. */
  readonly threads: number;
}

export interface SweepTaskHooks {
  readonly signal: AbortSignal;
  readonly detector: () => Promise<FaceLandmarker>;
  /** One human-readable line per stage and epoch: the task's log. */
  readonly log: (line: string) => void;
}

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : '–');

/** Epochs and the end, for a log file: steps would bury the lines that matter. */
function logEvent(event: TrainEvent, log: (line: string) => void): void {
  if (event.type === 'data') {
    const { train, val, test } = event.split;
    log(`data: ${event.images} images; split by subject: train ${train}, val ${val}, test ${test}`);
  }
  if (event.type === 'epoch') {
    log(`epoch ${event.epoch}/${event.epochs}: loss ${event.train.loss.toFixed(4)}, ` +
      `train ${pct(event.train.accuracy)}, val ${pct(event.val?.accuracy)}, ${event.seconds.toFixed(1)} s` +
      `${event.best ? ', best so far' : ''}`);
  }
  if (event.type === 'stopped') log(`stopped: ${event.path === null ? 'nothing saved yet' : `saved ${event.path}`}`);
}

async function evaluate(request: TrainRequest, options: SweepTaskOptions, hooks: SweepTaskHooks): Promise<void> {
  const file = path.join(request.out, evalFileName(request.data));
  hooks.log(`evaluating best.ckpt on the run's test split…`);
  const result = await runEvaluation({
    model: path.join(request.out, 'best.ckpt'), data: request.data, images: 'test',
    ...(request.cacheDir !== undefined && { cacheDir: request.cacheDir }),
  // The sweep's own checkpoint, evaluated as the CLI does: it trusts its user's files.
  }, { trusted: true, detector: await hooks.detector(), signal: hooks.signal,
    threads: request.threads ?? options.threads });
  hooks.log(`test split: ${result.report.samples} images, accuracy ${pct(result.report.accuracy)}; wrote ${file}`);
}

/** Trains (or resumes, or skips) the run of `configFile`; throws what made the run fail. */
export async function runSweepTask(
  configFile: string, options: SweepTaskOptions, hooks: SweepTaskHooks,
): Promise<TaskStatus> {
  const request = await readRunConfigFile(configFile);
  const folder = request.out;
  const name = path.basename(folder);
  hooks.log(`${name}: ${configFile} on ${os.hostname()}, process ${process.pid}`);
  const action = runAction(await readRunFolderState(folder), request, processAlive);
  hooks.log(describeAction(action, name));
  if (action.kind === 'conflict') throw new Error(describeAction(action, name));
  if (action.kind === 'busy') return 'busy';
  if (action.kind !== 'done') {
    if (action.kind === 'new' && action.clear) {
      for (const file of [RUN_FILE, PROGRESS_FILE]) await rm(path.join(folder, file), { force: true });
    }
    const outcome = await runTrainJob({ ...request, resume: action.kind === 'resume' }, {
      onEvent: (e) => logEvent(e, hooks.log), signal: hooks.signal, detector: hooks.detector,
      defaultThreads: options.threads,
    });
    const best = outcome.bestEpoch !== null ? `, best epoch ${outcome.bestEpoch}` : '';
    hooks.log(`${outcome.status}: ${outcome.epochs} epoch(s)${best}`);
    if (outcome.status === 'cancelled') return 'cancelled';
  }
  // A run trained now has a new best.ckpt, so an older evaluation of it is stale.
  if (options.evaluate && (action.kind !== 'done' || !(await exists(path.join(folder, evalFileName(request.data)))))) {
    try {
      await evaluate(request, options, hooks);
    } catch (err) {
      if (!hooks.signal.aborted) throw err;
      hooks.log('stopped during the evaluation; the next attempt evaluates again');
      return 'cancelled';
    }
  }
  return action.kind === 'done' ? 'skipped' : 'completed';
}
