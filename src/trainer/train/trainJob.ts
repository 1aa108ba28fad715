/**
 * One training run as the editor starts it (worker method 'train/run'): the request checked and resolved before
 * anything is written, then run.json and progress.jsonl kept up to date around train() (format: runLog.ts), so
 * the run can be watched, listed and resumed after a reload. The status always ends completed, cancelled or
 * failed; a process that dies mid-run, or a host that closes (HOST_CLOSING), leaves "running", which the next
 * window turns into "interrupted".
 */
import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { FaceLandmarker } from '../io/landmarks';
import { HOST_CLOSING } from '../protocol';
import type { TrainEvent, TrainOutcome } from './options';
import type { RunRecord } from './runLog';
import { optionsSummary, ProgressLog, progressFile, readRunRecord, RUN_FILE, writeRunRecord } from './runLog';
import type { TrainRequest } from './trainRequest';
import { resolveTrainOptions, TrainRequestError } from './trainRequest';
import { train } from './trainRun';

export interface TrainJobHooks {
  readonly onEvent: (event: TrainEvent) => void;
  readonly signal: AbortSignal;
  readonly detector: () => Promise<FaceLandmarker>;
  /** Engine threads when the request gives none. */
  readonly defaultThreads: number;
}

/** Settings named as in run-config files and run.json ("preset", "lambda"), since that is what users see there. */
const jsonLabel = (field: string): string => `"${field}"`;

/** A new run must not write its run.json over another run's, even one that failed before its first checkpoint. */
async function refuseUsedFolder(folder: string): Promise<void> {
  for (const name of [RUN_FILE, 'last.ckpt', 'best.ckpt']) {
    if (await stat(path.join(folder, name)).then(() => true, () => false)) {
      throw new TrainRequestError(
        'out',
        `${folder} already holds a run (${name}); resume it or choose another run name. Nothing was changed`,
      );
    }
  }
}

export async function runTrainJob(request: TrainRequest, hooks: TrainJobHooks): Promise<TrainOutcome> {
  const options = await resolveTrainOptions(request, { label: jsonLabel, defaultThreads: hooks.defaultThreads });
  const folder = options.out;
  if (!options.resume) await refuseUsedFolder(folder);
  await mkdir(folder, { recursive: true });
  const previous = options.resume ? await readRunRecord(folder).catch(() => undefined) : undefined;
  const now = (): string => new Date().toISOString();
  let record: RunRecord = {
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
  };
  // Status writes are queued so they land in order while training goes on.
  let writes = writeRunRecord(folder, record);
  const update = (change: Partial<RunRecord>): void => {
    record = { ...record, ...change, updatedAt: now() };
    const snapshot = record;
    writes = writes.then(() => writeRunRecord(folder, snapshot));
  };
  const log = new ProgressLog(progressFile(folder));
  const onEvent = (event: TrainEvent): void => {
    log.append(event);
    if (event.type === 'epoch') {
      update({
        epochs: { done: event.epoch, total: event.epochs },
        ...(event.best && { best: { epoch: event.epoch, valAccuracy: event.val?.accuracy ?? null } }),
      });
    }
    hooks.onEvent(event);
  };
  try {
    const outcome = await train(options, { onEvent, signal: hooks.signal, detector: await hooks.detector() });
    const epochs = { done: outcome.epochs, total: options.epochs };
    const hostClosing = outcome.status === 'cancelled' && hooks.signal.reason === HOST_CLOSING;
    update(hostClosing ? { epochs } : { status: outcome.status, endedAt: now(), epochs });
    await writes;
    return outcome;
  } catch (err) {
    update({ status: 'failed', endedAt: now(), error: (err as Error).message });
    await writes.catch(() => undefined);
    throw err;
  }
}
