/**
 * What a run folder says about its run besides the checkpoints, so the editor (dashboard, runs view) can show a
 * run after a window reload, while it trains in another window, or long after it ended.
 *
 * `run.json` (RUN_FILE), rewritten atomically whenever the status changes:
 *   { "version": 1,
 *     "name": "tiny64-l4-20261125-2300",            the run folder's name
 *     "status": "running" | "completed" | "cancelled" | "failed" | "interrupted",
 *     "settings": { "data": "/abs/data", "out": "/abs/runs/name", "preset": "tiny64", "lambda": 4, ... },
 *                                                    the TrainRequest as asked (train/trainRequest.ts; absolute paths)
 *     "options": { "preset", "lambda", "layers", "epochs", "batch", "lr", "seed", "classes" } | absent,
 *                                                    what the run uses after defaults (absent when it failed first)
 *     "pid": 1234,                                   the process that trains (the editor's extension host)
 *     "startedAt": ISO time, "updatedAt": ISO time, "endedAt": ISO time | absent while running,
 *     "epochs": { "done": 3, "total": 20 },         epochs finished, as of the last status change
 *     "best": { "epoch": 2, "valAccuracy": 0.81 } | absent,
 *     "error": "message" | absent }                 why it failed or was interrupted
 *   "interrupted" is set by the editor for a "running" run whose process is gone (a window closed mid-run); it
 *   resumes like "cancelled", from last.ckpt.
 *
 * `progress.jsonl` (PROGRESS_FILE): one TrainEvent (train/trainRun.ts) per line, as JSON, appended while the run
 * trains; a resumed run appends to it. A crash can leave a torn last line, which readers skip. After an
 * interruption a resumed run repeats the steps after its last checkpoint: a reader keeps the later of two step
 * events with the same `step`.
 */
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AtomicFs } from '../io/atomicFile';
import { writeFileAtomic } from '../io/atomicFile';
import { FileReadError, READ_CAPS, readJsonFile, readLines } from '../io/boundedRead';
import { processAlive } from '../io/liveProcess';
import type { TrainEvent, TrainOptions } from './options';
import type { TrainRequest } from './trainRequest';

export const RUN_FILE = 'run.json';
export const PROGRESS_FILE = 'progress.jsonl';
export const RUN_RECORD_VERSION = 1;

export const RUN_STATUSES = ['running', 'completed', 'cancelled', 'failed', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The settings a run uses once its defaults are filled in (a summary; the checkpoint holds them all). */
export interface RunOptionsSummary {
  readonly preset: string;
  readonly lambda: number;
  readonly layers: readonly string[] | null;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  readonly classes: readonly string[] | null;
}

export interface RunRecord {
  readonly version: typeof RUN_RECORD_VERSION;
  readonly name: string;
  readonly status: RunStatus;
  readonly settings: TrainRequest;
  readonly options?: RunOptionsSummary;
  readonly pid: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  readonly epochs: { readonly done: number; readonly total: number };
  readonly best?: { readonly epoch: number; readonly valAccuracy: number | null };
  readonly error?: string;
}

export function runFile(folder: string): string {
  return path.join(folder, RUN_FILE);
}

export function progressFile(folder: string): string {
  return path.join(folder, PROGRESS_FILE);
}

export function optionsSummary(options: TrainOptions): RunOptionsSummary {
  return {
    preset: options.preset,
    lambda: options.lambda,
    layers: options.layers ? [...options.layers] : null,
    epochs: options.epochs,
    batch: options.batch,
    lr: options.lr,
    seed: options.seed,
    classes: options.classes ? [...options.classes] : null,
  };
}

export async function writeRunRecord(folder: string, record: RunRecord, fs?: AtomicFs): Promise<void> {
  await writeFileAtomic(runFile(folder), `${JSON.stringify(record, null, 2)}\n`, fs);
}

function isRunRecord(value: unknown): value is RunRecord {
  const v = value as Partial<RunRecord> | null;
  return typeof v === 'object' && v !== null && v.version === RUN_RECORD_VERSION && typeof v.name === 'string'
    && (RUN_STATUSES as readonly unknown[]).includes(v.status) && typeof v.settings === 'object' && v.settings !== null
    && typeof v.pid === 'number' && typeof v.epochs === 'object' && v.epochs !== null;
}

/** The folder's run record; undefined when it has none; throws when it has one that is not a run record. */
export async function readRunRecord(folder: string): Promise<RunRecord | undefined> {
  let json: unknown;
  try {
    json = await readJsonFile(runFile(folder), READ_CAPS.runRecord, 'run.json');
  } catch (err) {
    if (err instanceof FileReadError && err.reason === 'missing') return undefined;
    throw err;
  }
  if (!isRunRecord(json)) {
    throw new Error(`${runFile(folder)} is not an AU Lens run record (version ${RUN_RECORD_VERSION})`);
  }
  return json;
}

/**
 * Appends each event to the run's progress.jsonl as it happens. Synchronous on purpose: the trainer runs in a
 * worker process, lines stay in order, and each is on disk before the next step, so a reload loses none. A failed
 * append (a full disk) never stops the run: `onProblem` hears of the first failure and of the recovery.
 */
export class ProgressLog {
  private missed = 0;

  constructor(
    readonly file: string,
    private readonly onProblem: (message: string) => void,
  ) {}

  append(event: TrainEvent): void {
    try {
      appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    } catch (err) {
      if (this.missed++ === 0) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.onProblem(`cannot append to ${this.file} (${code}); the run goes on, its log misses events meanwhile`);
      }
      return;
    }
    if (this.missed > 0) {
      this.onProblem(`${this.file} is writable again; ${this.missed} events are missing from it`);
      this.missed = 0;
    }
  }
}

export interface ProgressRead {
  readonly events: TrainEvent[];
  /** Lines that were not JSON events (a torn last line after a crash). */
  readonly skipped: number;
}

/** The events of a run so far, streamed line by line; an empty list when the run has logged nothing yet. */
export async function readProgress(folder: string): Promise<ProgressRead> {
  const events: TrainEvent[] = [];
  let skipped = 0;
  try {
    for await (const line of readLines(progressFile(folder))) {
      if (line.trim() === '') continue;
      try {
        const event = JSON.parse(line) as Partial<TrainEvent> | null;
        if (typeof event === 'object' && event !== null && typeof event.type === 'string') {
          events.push(event as TrainEvent);
        }
        else skipped++;
      } catch {
        skipped++;
      }
    }
  } catch (err) {
    if (err instanceof FileReadError && err.reason === 'missing') return { events: [], skipped: 0 };
    throw err;
  }
  return { events, skipped };
}

/**
 * The record as "interrupted" when it says "running" but its process is gone (or is `self`, a process that
 * knows it is not training it); else undefined.
 */
export function interruptedRecord(
  record: RunRecord,
  now: Date,
  alive: (pid: number) => boolean = processAlive,
  self?: number,
): RunRecord | undefined {
  if (record.status !== 'running') return undefined;
  if (record.pid !== self && alive(record.pid)) return undefined;
  return {
    ...record,
    status: 'interrupted',
    updatedAt: now.toISOString(),
    endedAt: now.toISOString(),
    error: 'the window or the editor closed while the run was training',
  };
}
