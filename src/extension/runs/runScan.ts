/**
 * The runs under a workspace folder, read from disk: a run is a folder holding run.json, a checkpoint (*.ckpt) or
 * an evaluation (eval-*.json, e.g. of the built-in model), typically runs/<name>/. Each run has its status (run.json),
 * its checkpoints (headers only) and its evaluations (eval-*.json). Plain node: the tree view maps the result to items,
 * and the unit tests build it from a temp folder.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { EvalRunResult } from '../../trainer/eval/evalFile';
import { isEvalFileName } from '../../trainer/eval/evalFile';
import { readEvalFile } from '../../trainer/eval/readEvalFile';
import type { RunRecord } from '../../trainer/train/runLog';
import { readProgress, readRunRecord, RUN_FILE } from '../../trainer/train/runLog';
import type { ValidationMetrics } from '../../trainer/train/options';
import type { CheckpointSummary } from '../../trainer/train/checkpointHeader';
import { readCheckpointSummary } from '../../trainer/train/checkpointHeader';
import type { SweepEntry } from './sweepScan';
import { isSweepPlanFile, readSweepEntry } from './sweepScan';

export type CheckpointEntry = { readonly file: string; readonly name: string }
  & ({ readonly summary: CheckpointSummary } | { readonly error: string });
export type EvalEntry = { readonly file: string; readonly name: string }
  & ({ readonly result: EvalRunResult } | { readonly error: string });

export interface RunEntry {
  readonly folder: string;
  readonly name: string;
  /** From run.json; undefined for a folder of checkpoints without one. */
  readonly record?: RunRecord;
  /** Why run.json could not be read. */
  readonly recordError?: string;
  /** best.ckpt, then last.ckpt, then the others by name. */
  readonly checkpoints: readonly CheckpointEntry[];
  readonly evaluations: readonly EvalEntry[];
  /**
   * Validation metrics per finished epoch, from progress.jsonl (per-layer ATT-COS; the checkpoint keeps one
   * layer's).
   */
  readonly validation: Readonly<Record<number, ValidationMetrics>>;
}

/** The validation metrics of each epoch the run logged; a resumed run's later entry for an epoch wins. */
async function validationByEpoch(folder: string): Promise<Record<number, ValidationMetrics>> {
  const { events } = await readProgress(folder).catch(() => ({ events: [] }));
  const byEpoch: Record<number, ValidationMetrics> = {};
  for (const e of events) if (e.type === 'epoch' && e.val) byEpoch[e.epoch] = e.val;
  return byEpoch;
}

const SKIPPED = new Set(['node_modules', '.git', '.vscode-test', 'dist', 'out']);
export const MAX_DEPTH = 4;

const checkpointRank = (name: string): number => (name === 'best.ckpt' ? 0 : name === 'last.ckpt' ? 1 : 2);

interface FoundFolders {
  /** Folders with run.json, a checkpoint or an evaluation. */
  readonly runs: string[];
  /** Sweep output folders (with sweep-plan.json). */
  readonly sweeps: string[];
}

/** One walk under `root` (itself included, at most `depth` levels down) for run folders and sweeps. */
async function walk(root: string, depth: number, found: FoundFolders): Promise<FoundFolders> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => e.name);
  if (files.some((n) => n === RUN_FILE || n.endsWith('.ckpt') || isEvalFileName(n))) found.runs.push(root);
  if (files.some(isSweepPlanFile)) found.sweeps.push(root);
  if (depth > 0) {
    for (const e of entries) {
      if (e.isDirectory() && !SKIPPED.has(e.name) && !e.name.startsWith('.')) {
        await walk(path.join(root, e.name), depth - 1, found);
      }
    }
  }
  return found;
}

/**
 * Folders under `root` (itself included, at most MAX_DEPTH levels down) with run.json, a checkpoint or an
 * evaluation.
 */
export async function findRunFolders(root: string, depth = MAX_DEPTH): Promise<string[]> {
  return (await walk(root, depth, { runs: [], sweeps: [] })).runs;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function readRun(folder: string): Promise<RunEntry> {
  const names = (await readdir(folder)).sort();
  let record: RunRecord | undefined;
  let recordError: string | undefined;
  try {
    record = await readRunRecord(folder);
  } catch (err) {
    recordError = messageOf(err);
  }
  const checkpoints = await Promise.all(names.filter((n) => n.endsWith('.ckpt'))
    .sort((a, b) => checkpointRank(a) - checkpointRank(b) || a.localeCompare(b))
    .map(async (name): Promise<CheckpointEntry> => {
      const file = path.join(folder, name);
      return readCheckpointSummary(file).then((summary) => ({ file, name, summary }), (err: unknown) => ({ file, name,
        error: messageOf(err) }));
    }));
  const evaluations = await Promise.all(names.filter(isEvalFileName).map(async (name): Promise<EvalEntry> => {
    const file = path.join(folder, name);
    try {
      return { file, name, result: (await readEvalFile(file)).result };
    } catch (err) {
      return { file, name, error: messageOf(err) };
    }
  }));
  return {
    folder, name: record?.name ?? path.basename(folder), checkpoints, evaluations,
    validation: await validationByEpoch(folder),
    ...(record !== undefined && { record }), ...(recordError !== undefined && { recordError }),
  };
}

export interface WorkspaceRuns {
  /** Every run, by folder path: those found under the roots and those the sweeps' plans name. */
  readonly runs: RunEntry[];
  readonly sweeps: SweepEntry[];
}

/** The runs and sweeps under the roots. A sweep's runs count wherever they are, not only MAX_DEPTH down. */
export async function scanWorkspace(roots: readonly string[]): Promise<WorkspaceRuns> {
  const found: FoundFolders = { runs: [], sweeps: [] };
  for (const root of roots) await walk(root, MAX_DEPTH, found);
  const sweeps = await Promise.all([...new Set(found.sweeps)].map(readSweepEntry));
  const walked = new Set(found.runs);
  const planned = sweeps.flatMap((s) => s.runFolders).filter((f) => !walked.has(f));
  // A planned run that has not started has no folder yet.
  const runs = [
    ...(await Promise.all([...walked].map(readRun))),
    ...(await Promise.all([...new Set(planned)].map((f) => readRun(f).catch(() => undefined))))
      .filter((r): r is RunEntry => r !== undefined),
  ];
  return {
    runs: runs.sort((a, b) => a.folder.localeCompare(b.folder)),
    sweeps: sweeps.sort((a, b) => a.out.localeCompare(b.out)),
  };
}

/** Every run under the roots, by folder path. */
export async function scanRuns(roots: readonly string[]): Promise<RunEntry[]> {
  return (await scanWorkspace(roots)).runs;
}
