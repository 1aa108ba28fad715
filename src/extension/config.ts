import * as vscode from 'vscode';
import type { Device } from '../trainer/onnx/deviceNames';
import { DEVICE_ENV, isDevice } from '../trainer/onnx/deviceNames';

/** Typed access to the `auLens.*` settings declared in package.json. */
export class Config {
  /** A codebook preset name or the path of a codebook JSON file (relative paths resolve against the workspace). */
  get codebook(): string {
    const value = this.get<string>('codebook') ?? 'paper';
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (value.endsWith('.json') && folder && !value.startsWith('/')) return vscode.Uri.joinPath(folder.uri, value).fsPath;
    return value;
  }

  /** auLens.device: where the trainer worker runs models (it reads AU_LENS_DEVICE, the CLI's --device). */
  get device(): Device {
    const value = this.get<string>('device') ?? 'cpu';
    return isDevice(value) ? value : 'cpu';
  }

  /** The environment of a trainer worker: the extension host's, with the device setting. */
  workerEnv(): NodeJS.ProcessEnv {
    return { ...process.env, [DEVICE_ENV]: this.device };
  }

  get maxImagePixels(): number {
    return this.get<number>('maxImagePixels') ?? 100_000_000;
  }

  private get<T>(key: string): T | undefined {
    return vscode.workspace.getConfiguration('auLens').get<T>(key);
  }
}
