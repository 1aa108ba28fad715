import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const ctx = new Ctx(context);
  registerCommands(ctx);
  // Activation must stay cheap (the worker and its models start on first use); the log line lets tests check it.
  ctx.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {
  // Disposables registered on the context clean up, the worker included.
}
