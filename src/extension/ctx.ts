import * as vscode from 'vscode';
import { WorkerClient } from '../trainer/workerClient';
import { Config } from './config';
import { QualityGateDiagnostics } from './evaluation/qualityGates';
import { Log } from './log';
import { ModelStore } from './models';
import { RunsTreeProvider } from './runs/runsTree';
import { shippedCli } from './sweeps/sweepProcess';
import { SweepRunner } from './sweeps/sweepRunner';
import { TrainingRuns } from './training/trainingRuns';

/** Owns the extension's state and disposables. The worker starts on first use, never during activation. */
export class Ctx {
  readonly log = new Log();
  readonly config = new Config();
  readonly models: ModelStore;
  /** The runs view's data (scanned on first use) and the quality-gate diagnostics of the evaluations. */
  readonly runs = new RunsTreeProvider();
  readonly qualityGates = new QualityGateDiagnostics(this.config);
  /** Training runs started in this window (each in a worker of its own). */
  readonly training: TrainingRuns;
  /** Sweeps started in this window (each an `au-lens sweep run` process). */
  readonly sweeps: SweepRunner;
  /** Set at activation when this platform's native binaries are missing: the reason any worker request fails. */
  nativeProblem: string | undefined;
  private worker: WorkerClient | undefined;

  constructor(readonly extCtx: vscode.ExtensionContext) {
    this.models = new ModelStore(extCtx.workspaceState);
    this.training = new TrainingRuns({
      newWorker: () => this.newWorker(),
      landmarkCache: vscode.Uri.joinPath(extCtx.globalStorageUri, 'landmark-cache').fsPath,
    }, this.log, this.config);
    extCtx.subscriptions.push(this.training);
    this.sweeps = new SweepRunner(() => shippedCli(extCtx.extensionPath, this.config.workerEnv()), this.log);
    extCtx.subscriptions.push(this.sweeps);
    extCtx.subscriptions.push(this.log, this.models, this.runs, this.qualityGates,
      { dispose: () => void this.worker?.dispose() });
    extCtx.subscriptions.push(this.restartTrainerOnDeviceChange());
  }

  get trainer(): WorkerClient {
    this.worker ??= this.newWorker();
    return this.worker;
  }

  /**
   * A trainer worker: the shared one and each training run's own start alike (device setting, failure cause, and
   * the workspace's trust, asked at each request so that trusting the folder applies at once).
   */
  private newWorker(): WorkerClient {
    const script = vscode.Uri.joinPath(this.extCtx.extensionUri, 'dist', 'worker.js').fsPath;
    return new WorkerClient(script, { failureCause: () => this.nativeProblem, env: this.config.workerEnv(),
      trusted: () => vscode.workspace.isTrusted });
  }

  /**
   * A new device applies from the next request: a new worker takes the requests, and the one holding sessions on
   * the old device goes once its requests in flight have finished.
   */
  private restartTrainerOnDeviceChange(): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('auLens.device') || !this.worker) return;
      this.log.info(`auLens.device is now ${this.config.deviceSetting ?? 'unset'}: explanations and evaluations use ` +
        `it from the next request`);
      this.worker.disposeWhenIdle();
      this.worker = undefined;
    });
  }

  pushExtCleanup(d: vscode.Disposable): void {
    this.extCtx.subscriptions.push(d);
  }
}
