import * as vscode from 'vscode';
import type { EvalFaithfulnessMode } from '../trainer/eval/evalFile';
import type { Device } from '../trainer/onnx/deviceNames';
import { DEVICE_ENV } from '../trainer/onnx/deviceNames';
import { resolveCodebook } from './codebookSetting';
import type { QualityGates } from './evaluation/gates';

/** Typed access to the `auLens.*` settings declared in package.json. */
export class Config {
  /** A codebook preset name or the path of a codebook JSON file (relative paths resolve against the workspace). */
  get codebook(): string {
    return resolveCodebook(this.get<string>('codebook') ?? 'paper', vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  }

  /**
   * auLens.device as the user set it (any scope), or undefined when unset: then the workers keep the environment's
   * AU_LENS_DEVICE (the CLI's variable), which defaults to the CPU. An untrusted workspace's own value is ignored
   * (a restricted setting: CUDA loads native libraries), as VS Code ignores it.
   */
  get deviceSetting(): string | undefined {
    const i = vscode.workspace.getConfiguration('auLens').inspect<string>('device');
    return vscode.workspace.isTrusted ? i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue : i?.globalValue;
  }

  /**
   * Sets auLens.device where the user set it (folder, workspace or user settings), else in the workspace's
   * settings, else the user's: there it overrides AU_LENS_DEVICE. An untrusted workspace's settings are neither
   * read nor written: the user's are. Resolves once the extension host sees it.
   */
  async setDevice(device: Device): Promise<void> {
    const i = vscode.workspace.getConfiguration('auLens').inspect<string>('device');
    const target = !vscode.workspace.isTrusted ? vscode.ConfigurationTarget.Global
      : i?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
      : i?.workspaceValue !== undefined || (i?.globalValue === undefined && vscode.workspace.workspaceFolders)
        ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('auLens').update('device', device, target);
  }

  /**
   * The environment of a trainer worker: the extension host's, with the device setting when one is set. A value
   * that is no device goes through as it is, so the worker refuses it by name rather than running on the CPU.
   */
  workerEnv(): NodeJS.ProcessEnv {
    const device = this.deviceSetting;
    return device === undefined ? { ...process.env } : { ...process.env, [DEVICE_ENV]: device };
  }

  /** The auLens.qualityGates.* settings; null where a gate is off. */
  get qualityGates(): QualityGates {
    const c = vscode.workspace.getConfiguration('auLens.qualityGates');
    return {
      minAccuracy: c.get<number | null>('minAccuracy') ?? null,
      minClassAccuracy: c.get<number | null>('minClassAccuracy') ?? null,
      minAttCos: c.get<QualityGates['minAttCos']>('minAttCos') ?? null,
      minCamCos: c.get<QualityGates['minCamCos']>('minCamCos') ?? null,
      minAuSelectivity: c.get<number | null>('minAuSelectivity') ?? null,
    };
  }

  /** auLens.evaluation.faithfulness: the faithfulness metrics Evaluate Model adds; undefined for none. */
  get evaluationFaithfulness(): EvalFaithfulnessMode | undefined {
    const mode = this.get<string>('evaluation.faithfulness');
    return mode === 'fast' || mode === 'all' ? mode : undefined;
  }

  /** The auLens.sweeps.* settings (node and slurmOptions: user settings only in an untrusted workspace). */
  get sweeps(): { parallel: number; node: string; slurmOptions: string } {
    const c = vscode.workspace.getConfiguration('auLens.sweeps');
    return { parallel: c.get<number>('parallel') ?? 0, node: c.get<string>('node') ?? '',
      slurmOptions: c.get<string>('slurmOptions') ?? '' };
  }

  get maxImagePixels(): number {
    return this.get<number>('maxImagePixels') ?? 100_000_000;
  }

  private get<T>(key: string): T | undefined {
    return vscode.workspace.getConfiguration('auLens').get<T>(key);
  }
}
