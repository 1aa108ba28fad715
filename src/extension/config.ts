import * as vscode from 'vscode';

/** Typed access to the `auLens.*` settings declared in package.json. */
export class Config {
  /** A codebook preset name or the path of a codebook JSON file (relative paths resolve against the workspace). */
  get codebook(): string {
    const value = this.get<string>('codebook') ?? 'paper';
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (value.endsWith('.json') && folder && !value.startsWith('/')) return vscode.Uri.joinPath(folder.uri, value).fsPath;
    return value;
  }

  get maxImagePixels(): number {
    return this.get<number>('maxImagePixels') ?? 100_000_000;
  }

  private get<T>(key: string): T | undefined {
    return vscode.workspace.getConfiguration('auLens').get<T>(key);
  }
}
