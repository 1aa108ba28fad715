/**
 * The runs tree's nodes, and what a command gets when it runs on one (a node, an Explorer Uri or a path): the
 * commands of the view accept all three, so they work from the tree, the Explorer and the palette alike.
 */
import * as vscode from 'vscode';
import type { CheckpointEntry, EvalEntry, RunEntry } from './runScan';
import type { SweepEntry } from './sweepScan';

export type RunsNode =
  /** A sweep and those of its runs that have a folder, in the plan's order. */
  | { readonly kind: 'sweep'; readonly sweep: SweepEntry; readonly runs: readonly RunEntry[] }
  /** `inSweep`: shown under its sweep, collapsed (a sweep has many). */
  | { readonly kind: 'run'; readonly run: RunEntry; readonly inSweep?: boolean }
  | { readonly kind: 'checkpoint'; readonly run: RunEntry; readonly checkpoint: CheckpointEntry }
  | { readonly kind: 'evaluation'; readonly run: RunEntry; readonly evaluation: EvalEntry }
  | { readonly kind: 'metric'; readonly id: string; readonly label: string; readonly value: string;
    readonly tooltip?: string };

export function isRunsNode(value: unknown): value is RunsNode {
  const kind = (value as Partial<RunsNode> | null)?.kind;
  return typeof value === 'object' && value !== null
    && (kind === 'sweep' || kind === 'run' || kind === 'checkpoint' || kind === 'evaluation' || kind === 'metric');
}

/**
 * The checkpoint a command argument means: a checkpoint node, a run's best (else first) checkpoint, a Uri or a
 * path.
 */
export function checkpointOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (!isRunsNode(arg)) return undefined;
  if (arg.kind === 'checkpoint') return arg.checkpoint.file;
  if (arg.kind === 'run' || arg.kind === 'evaluation') return arg.run.checkpoints.find((c) => 'summary' in c)?.file;
  return undefined;
}

/** The run folder a command argument means (a node of the run, a Uri or a path of the folder or a file in it). */
export function runFolderOf(arg: unknown): string | undefined {
  if (isRunsNode(arg)) return arg.kind === 'metric' || arg.kind === 'sweep' ? undefined : arg.run.folder;
  return checkpointOf(arg);
}
