/**
 * The sweep panel's messages, imported by the host (src/extension/panels/sweepPanel.ts) and the page
 * (src/webview/sweep/main.ts). Metrics are keyed as science/metrics/sweepStats.ts keys them ("val.accuracy",
 * "test.attCos.stage3", "test.camCos.gradcam", "test.faithfulness.…"); the page labels them.
 */
import type { GridPointSummary, SweepPoint } from '../../trainer/science/metrics/sweepStats';
import { isNothing, isRecord, isText } from './guards';
import { IpcCommand, IpcNotification } from './ipc';

export const scope = 'sweep';

/** What the page stores, so a reloaded window shows the same sweep again (and the chart's choices). */
export interface SweepPageState {
  readonly file: string | null;
  readonly metric?: string;
  readonly axis?: string;
}

/** A run's state as `au-lens sweep status` words it. */
export type SweepRunState =
  'completed' | 'running' | 'pending' | 'failed' | 'cancelled' | 'interrupted' | 'not started';

export interface SweepRunRow {
  readonly name: string;
  readonly point: SweepPoint;
  readonly state: SweepRunState;
  readonly metrics: Readonly<Record<string, number | null>>;
  /** best.ckpt, once the run has one: what "Open run" and "Compare these two" use. */
  readonly checkpoint: string | null;
  readonly folder: string;
  readonly error: string | null;
  /** The newest log of an attempt, for "Show Log". */
  readonly log: string | null;
}

export interface SweepView {
  readonly name: string;
  /** The sweep file. */
  readonly file: string;
  readonly out: string;
  /** The settings that vary, in the sweep's order: the table's columns. */
  readonly settings: readonly string[];
  /** The varied settings whose values are all numbers, the seed aside: the chart's x axes. */
  readonly numericAxes: readonly string[];
  /** Every metric some run has, in a fixed order (validation, then test; accuracy, ATT-COS, CAM-COS, the rest). */
  readonly metrics: readonly string[];
  readonly runs: readonly SweepRunRow[];
  /** Mean ± sd over seeds per grid point. */
  readonly groups: readonly GridPointSummary[];
  readonly counts: Readonly<Record<SweepRunState, number>>;
  /** Why Slurm's view of the runs is missing, when it is (no squeue here, no accounting). */
  readonly notes: readonly string[];
  readonly updatedAt: string;
}

export const ReadyCommand = new IpcCommand<undefined>(scope, 'ready', isNothing);
export const RefreshCommand = new IpcCommand<undefined>(scope, 'refresh', isNothing);
export const OpenFileCommand = new IpcCommand<undefined>(scope, 'openFile', isNothing);
/** Opens the run's training dashboard (its curves per step and epoch). */
export const OpenRunCommand = new IpcCommand(scope, 'openRun', isRecord({ run: isText }));
export const ShowLogCommand = new IpcCommand(scope, 'showLog', isRecord({ run: isText }));
/** Compare Models with the two runs' best checkpoints. */
export const CompareRunsCommand = new IpcCommand(scope, 'compareRuns', isRecord({ a: isText, b: isText }));
export const DidLoadNotification = new IpcNotification<SweepView>(scope, 'didLoad');
