/**
 * The evaluation results panel's messages, imported by the host (src/extension/panels/evaluationPanel.ts) and the
 * page (src/webview/evaluation/main.ts). The report is the worker's EvalReport as it is stored in the eval file.
 */
import type { Expression } from '../../trainer/science/labels';
import type { ScoreSummary } from '../../trainer/science/metrics/aggregate';
import { IpcCommand, IpcNotification } from './ipc';

export const scope = 'evaluation';

/** What the page stores, so a reloaded window can show the same evaluation again (read back from its file). */
export interface EvaluationPageState {
  readonly file: string | null;
}

/** The parts of the worker's EvalReport (trainer/eval/evaluator.ts) the page shows; the host passes the report as is. */
export interface ViewReport {
  readonly samples: number;
  readonly labels: readonly Expression[];
  readonly layers: readonly string[];
  readonly camLayer: string;
  readonly methods: readonly string[];
  readonly accuracy: number | null;
  readonly balancedAccuracy: number | null;
  readonly confusion: { readonly labels: readonly Expression[]; readonly matrix: readonly (readonly number[])[] };
  readonly perClassAccuracy: Readonly<Partial<Record<Expression, number | null>>>;
  readonly attCos: ScoreSummary;
  readonly camCos: ScoreSummary;
  readonly invalidAuSamples: number;
}

export interface WorstImage {
  readonly path: string;
  readonly name: string;
  /** The photo as the webview may load it. */
  readonly src: string;
  readonly label: string;
  readonly prediction: string;
  readonly confidence: number;
  /** ATT-COS at the CAM layer; null without an AU map. */
  readonly attCos: number | null;
}

export interface EvaluationView {
  readonly file: string | null;
  readonly model: string;
  readonly modelName: string;
  readonly data: string;
  readonly dataset: string;
  readonly split: string;
  readonly createdAt: string;
  readonly warnings: readonly string[];
  readonly report: ViewReport;
  /** Misclassified first, then the lowest ATT-COS. */
  readonly worst: readonly WorstImage[];
  /** The quality gates this evaluation fails, as the Problems view words them. */
  readonly gateFailures: readonly string[];
}

export const ReadyCommand = new IpcCommand(scope, 'ready');
export const ExplainImageCommand = new IpcCommand<{ readonly path: string }>(scope, 'explainImage');
export const OpenFileCommand = new IpcCommand(scope, 'openFile');
export const DidLoadNotification = new IpcNotification<EvaluationView>(scope, 'didLoad');
