import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';

export function activate(context: vscode.ExtensionContext): void {
  registerCommands(new Ctx(context));
}

export function deactivate(): void {
  // Disposables registered on the context clean up, the worker included.
}
