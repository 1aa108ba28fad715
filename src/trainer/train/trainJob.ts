/**
 * One training run as the editor starts it (worker method 'train/run'): the request checked and resolved before
 * anything is written, then run.json and progress.jsonl kept up to date around train() (format: runLog.ts), so
 * the run can be watched, listed and resumed after a reload. The status always ends completed, cancelled or
 * failed; a process that dies mid-run, or a host that closes (HOST_CLOSING), leaves "running", which the next
 * window turns into "interrupted". The run lock (runLock.ts) is held from before the first write to the end.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { AtomicFs } from '../io/atomicFile';
import type { FaceLandmarker } from '../io/landmarks';
import { HOST_CLOSING } from '../protocol';
import type { TrainEvent, TrainOptions, TrainOutcome } from './options';
import type { RunLock } from './runLock';
import { newRunFolderProblem } from './runFiles';
import { acquireRunLock, RunLockedError, takeOverNote } from './runLock';
import type { RunRecord } from './runLog';
import {
  optionsSummary,
  ProgressLog,
  progressFile,
  readRunRecord,
  RUN_FILE,
  runFile,
  writeRunRecord,
} from './runLog';
import type { TrainRequest } from './trainRequest';
import { resolveTrainOptions, TrainRequestError } from './trainRequest';
import { train } from './trainRun';

export interface TrainJobHooks {
  readonly onEvent: (event: TrainEvent) => void;
  readonly signal: AbortSignal;
  readonly detector: () => Promise<FaceLandmarker>;
  /** Engine threads when the request gives none. */
  readonly defaultThreads: number;
  /** Where run.json is written (default node:fs/promises); tests inject a failing disk through it. */
  readonly statusFs?: AtomicFs;
}

/** Settings named as in run-config files and run.json ("preset", "lambda"), since that is what users see there. */
const jsonLabel = (field: string): string => `"${field}"`;

/**
 * A new run must not write its run.json over another run's, even one that failed before its first checkpoint, nor
 * into a folder of other files (runFiles.ts).
 */
async function refuseUsedFolder(folder: string, data: string): Promise<void> {
  for (const name of [RUN_FILE, 'last.ckpt', 'best.ckpt']) {
    if (await stat(path.join(folder, name)).then(() => true, () => false)) {
      throw new TrainRequestError(
        'out',
        `${folder} already holds a run (${name}); resume it or choose another run name. Nothing was changed`,
      );
    }
  }
  const problem = await newRunFolderProblem(folder, data);
  if (problem) throw new TrainRequestError('out', `${problem}. Nothing was changed`);
}

/**
 * Keeps run.json up to date: writes queue so they land in order while training goes on, and each is caught on
 * its own — one that fails (a full disk) is reported and the next still lands, so a completed run never reads
 * failed for a status write that did not make it.
 */
class StatusWriter {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly folder: string,
    private record: RunRecord,
    private readonly onProblem: (message: string) => void,
    private readonly fs?: AtomicFs,
  ) {
    this.queue();
  }

  update(change: Partial<RunRecord>): void {
    this.record = { ...this.record, ...change, updatedAt: new Date().toISOString() };
    this.queue();
  }

  /** Every queued write has been tried. */
  flush(): Promise<void> {
    return this.writes;
  }

  private queue(): void {
    const snapshot = this.record;
    this.writes = this.writes.then(() =>
      writeRunRecord(this.folder, snapshot, this.fs).catch((err: unknown) => {
        this.onProblem(`cannot update ${runFile(this.folder)} (status ${snapshot.status}): ${(err as Error).message}`);
      }),
    );
  }
}

export async function runTrainJob(request: TrainRequest, hooks: TrainJobHooks): Promise<TrainOutcome> {
  const options = await resolveTrainOptions(request, { label: jsonLabel, defaultThreads: hooks.defaultThreads });
  const folder = options.out;
  // Before anything is written: a folder another training holds keeps its run.json as it is.
  const lock = await acquireRunLock(folder, options.resume ? 'resume' : 'train').catch((err: unknown) => {
    if (err instanceof RunLockedError) throw err;
    throw new TrainRequestError('out', (err as Error).message);
  });
  try {
    return await runLocked(request, options, lock, hooks);
  } finally {
    await lock.release();
  }
}

async function runLocked(
  request: TrainRequest,
  options: TrainOptions,
  lock: RunLock,
  hooks: TrainJobHooks,
): Promise<TrainOutcome> {
  const folder = options.out;
  if (!options.resume) await refuseUsedFolder(folder, options.data);
  const previous = options.resume ? await readRunRecord(folder).catch(() => undefined) : undefined;
  const now = (): string => new Date().toISOString();
  // A note goes to the editor and, when it can, to progress.jsonl; never through a failing log again.
  const log = new ProgressLog(progressFile(folder), (message) => hooks.onEvent({ type: 'note', message }));
  const note = (message: string): void => {
    const event: TrainEvent = { type: 'note', message };
    log.append(event);
    hooks.onEvent(event);
  };
  const status = new StatusWriter(
    folder,
    {
      version: 1,
      name: path.basename(folder),
      status: 'running',
      settings: previous?.settings ?? request,
      options: optionsSummary(options),
      pid: process.pid,
      startedAt: previous?.startedAt ?? now(),
      updatedAt: now(),
      epochs: { done: previous?.epochs.done ?? 0, total: options.epochs },
      ...(previous?.best && { best: previous.best }),
    },
    note,
    hooks.statusFs,
  );
  const takeOver = takeOverNote(lock);
  if (takeOver !== undefined) note(takeOver);
  const onEvent = (event: TrainEvent): void => {
    log.append(event);
    if (event.type === 'epoch') {
      status.update({
        epochs: { done: event.epoch, total: event.epochs },
        ...(event.best && { best: { epoch: event.epoch, valAccuracy: event.val?.accuracy ?? null } }),
      });
    }
    hooks.onEvent(event);
  };
  let outcome: TrainOutcome;
  try {
    outcome = await train(options, {
      onEvent,
      signal: hooks.signal,
      detector: await hooks.detector(),
      runLock: lock,
    });
  } catch (err) {
    status.update({ status: 'failed', endedAt: now(), error: (err as Error).message });
    await status.flush();
    throw err;
  }
  const epochs = { done: outcome.epochs, total: options.epochs };
  const hostClosing = outcome.status === 'cancelled' && hooks.signal.reason === HOST_CLOSING;
  status.update(hostClosing ? { epochs } : { status: outcome.status, endedAt: now(), epochs });
  await status.flush();
  return outcome;
}
