import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

type Revive<S> = (ctx: Ctx, panel: vscode.WebviewPanel, state: S | undefined) => Promise<void>;

/**
 * Brings a panel of `viewType` back after a window reload (its activation event is onWebviewPanel:<viewType>) from
 * the state its page saved. A panel that cannot be rebuilt is closed and the reason logged: an empty panel helps
 * nobody.
 */
export function reviveOnReload<S>(ctx: Ctx, viewType: string, title: string, revive: Revive<S>): void {
  ctx.pushExtCleanup(vscode.window.registerWebviewPanelSerializer(viewType, {
    deserializeWebviewPanel: (panel, state: unknown) =>
      revive(ctx, panel, state as S | undefined).catch((err: Error) => {
      ctx.log.error(`restoring the ${title}: ${err.message}`);
      panel.dispose();
    }),
  }));
}
