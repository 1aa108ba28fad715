/**
 * The evaluation results panel's messages, imported by the host (src/extension/panels/evaluationPanel.ts) and the
 * page (src/webview/evaluation/main.ts). The report is the worker's EvalReport (trainer/science/report.ts) as the
 * eval file stores it.
 */
import type { EvalReport } from '../../trainer/science/report';
import { isNothing, isRecord, isText } from './guards';
import { IpcCommand, IpcNotification } from './ipc';

export const scope = 'evaluation';

/** What the page stores, so a reloaded window can show the same evaluation again (read back from its file). */
export interface EvaluationPageState {
  readonly file: string | null;
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
  readonly report: EvalReport;
  /** Misclassified first, then the lowest ATT-COS. */
  readonly worst: readonly WorstImage[];
  /** The quality gates this evaluation fails, as the Problems view words them. */
  readonly gateFailures: readonly string[];
}

export const ReadyCommand = new IpcCommand<undefined>(scope, 'ready', isNothing);
/** Explain one of the images the page was sent, with the evaluated model. */
export const ExplainImageCommand = new IpcCommand(scope, 'explainImage', isRecord({ path: isText }));
export const OpenFileCommand = new IpcCommand<undefined>(scope, 'openFile', isNothing);
export const DidLoadNotification = new IpcNotification<EvaluationView>(scope, 'didLoad');
