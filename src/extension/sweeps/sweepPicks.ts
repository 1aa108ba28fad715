/**
 * The questions Run Sweep asks: which sweep (the argument, the sweep file in the editor, else a pick), whether a
 * sweep of more than 1,000 runs should go ahead, where it trains (Slurm offered only where sbatch is on the PATH),
 * and Slurm's options for its tasks.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUNS_NEEDING_CONFIRMATION } from '../../trainer/sweep/expand';
import type { LoadedSweep } from '../../trainer/sweep/loadSweep';
import { SWEEP_SUFFIX } from '../../trainer/sweep/sweepFile';
import { isRunsNode } from '../runs/runNodes';
import { parseSlurmOptions, SLURM_FLAGS } from './slurmOptions';
import type { SweepWhere } from './sweepRunner';

/** The sweep a command argument means: a sweep in the Runs view, a sweep file's Uri or path. */
export interface SweepTarget {
  readonly file: string;
  /** The output folder, known for a sweep of the Runs view (its file may be gone). */
  readonly out?: string;
}

export function sweepTargetOf(arg: unknown): SweepTarget | undefined {
  if (isRunsNode(arg) && arg.kind === 'sweep') {
    if (arg.sweep.file === undefined) throw new Error(arg.sweep.error ?? `${arg.sweep.out}: no sweep plan`);
    return { file: arg.sweep.file, out: arg.sweep.out };
  }
  if (arg instanceof vscode.Uri) return { file: arg.fsPath };
  if (typeof arg === 'string') return { file: arg };
  return undefined;
}

const isSweepFile = (file: string): boolean => file.endsWith(SWEEP_SUFFIX);

/** The sweep file open in the editor, else the one the user picks from the workspace's. */
export async function pickSweepFile(title: string): Promise<string | undefined> {
  const open = vscode.window.activeTextEditor?.document.uri;
  if (open?.scheme === 'file' && isSweepFile(open.fsPath)) return open.fsPath;
  const found = await vscode.workspace.findFiles(`**/*${SWEEP_SUFFIX}`, '**/{node_modules,.git}/**', 500);
  if (found.length === 0) {
    void vscode.window.showInformationMessage(`AU Lens: no sweep file (*${SWEEP_SUFFIX}) in this workspace. A sweep ` +
      'file is a base run config and the settings that vary; the README shows one.');
    return undefined;
  }
  const items = found.map((u) => ({ label: path.basename(u.fsPath, SWEEP_SUFFIX), file: u.fsPath,
    description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)) }));
  const picked = await vscode.window.showQuickPick(items.sort((a, b) => a.file.localeCompare(b.file)),
    { title, placeHolder: 'The sweep file' });
  return picked?.file;
}

/** The sweep of a command's argument, else the editor's sweep file, else a pick. */
export async function sweepTargetOrPick(arg: unknown, title: string): Promise<SweepTarget | undefined> {
  const target = sweepTargetOf(arg);
  if (target) return target;
  const file = await pickSweepFile(title);
  return file === undefined ? undefined : { file };
}

/** Past RUNS_NEEDING_CONFIRMATION runs, a modal question first. */
export async function confirmLargeSweep(loaded: LoadedSweep): Promise<boolean> {
  const n = loaded.runs.length;
  if (n <= RUNS_NEEDING_CONFIRMATION) return true;
  const runs = n.toLocaleString('en');
  const go = `Run ${runs} Runs`;
  const answer = await vscode.window.showWarningMessage(
    `The sweep "${loaded.sweep.name}" expands to ${runs} runs (more than ` +
      `${RUNS_NEEDING_CONFIRMATION.toLocaleString('en')}). Run them all?`,
    { modal: true, detail: 'Each run trains a model. Narrow the axes or list points to run fewer.' }, go);
  return answer === go;
}

type WhereItem = vscode.QuickPickItem & { readonly where: SweepWhere };

/** Where the runs train; without sbatch on the PATH only here, and the pick says why. */
export async function pickWhere(loaded: LoadedSweep, slurm: boolean): Promise<SweepWhere | undefined> {
  const items: WhereItem[] = [
    { where: 'local', label: '$(vm) This machine', description: 'au-lens sweep run --local',
      detail: 'A few runs at a time (auLens.sweeps.parallel); cancel stops each after its step, and running the ' +
        'sweep again resumes it.' },
    ...(slurm ? [{ where: 'slurm' as const, label: '$(server-environment) Slurm', description: 'sbatch',
      detail: 'One array job, a task per run not yet done; each task logs in its run folder. Cancel is scancel.' }]
      : []),
  ];
  const n = loaded.runs.length;
  const picked = await vscode.window.showQuickPick(items, {
    title: `AU Lens: Run Sweep "${loaded.sweep.name}" (${n} run${n === 1 ? '' : 's'})`,
    placeHolder: slurm ? 'Where should the runs train?'
      : 'Slurm is not offered: sbatch is not on this machine\'s PATH (on a cluster, open the folder on a login ' +
        'node with Remote-SSH). Train here?',
    ignoreFocusOut: true,
  });
  return picked?.where;
}

/** Slurm's options for each task, starting from auLens.sweeps.slurmOptions; undefined when the user backs out. */
export async function askSlurmOptions(defaults: string): Promise<string[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'AU Lens: Run Sweep on Slurm', value: defaults, ignoreFocusOut: true,
    prompt: `Options for each task: ${SLURM_FLAGS.map((f) => `--${f}`).join(' ')} (empty: the cluster's defaults; ` +
      'other sbatch options from SBATCH_* variables). Set the default in auLens.sweeps.slurmOptions.',
    placeHolder: '--partition gpu --gres gpu:1 --cpus 4 --time 2:00:00',
    validateInput: (value) => {
      const parsed = parseSlurmOptions(value);
      return 'error' in parsed ? parsed.error : undefined;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseSlurmOptions(text);
  return 'args' in parsed ? parsed.args : undefined;
}
