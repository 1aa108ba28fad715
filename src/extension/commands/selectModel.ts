import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_MODEL } from '../../trainer/protocol';
import type { Ctx } from '../ctx';
import { findWorkspaceModels, modelFileItem } from '../workspaceFiles';
import { needsImport } from './importOnnxModel';

type Pick = vscode.QuickPickItem & { readonly model?: string | null; readonly browse?: true };

/**
 * Chooses the model the panel explains with: a quick pick of the workspace's checkpoints and ONNX models, "No
 * model" and "Browse…". With an argument (a Uri or path; null for none) it sets the model without asking.
 */
export function selectModel(ctx: Ctx): (model?: vscode.Uri | string | null) => Promise<void> {
  return async (model) => {
    if (model !== undefined) {
      await ctx.models.set(model === null ? undefined : typeof model === 'string' ? model : model.fsPath);
      return;
    }
    const active = ctx.models.active;
    const found = await findWorkspaceModels();
    const items: Pick[] = [
      ...found.map((file): Pick => ({ ...modelFileItem(file), detail: file === active ? 'active model' : undefined,
        model: file })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(sparkle) face-api expression network', description: 'built in (MIT), works without training',
        detail: active === BUILTIN_MODEL ? 'active model' : undefined, model: BUILTIN_MODEL },
      { label: '$(circle-slash) No model', description: 'landmarks and the AU maps of every expression',
        detail: active === undefined ? 'active' : undefined, model: null },
      { label: '$(folder-opened) Browse…', description: 'a checkpoint (.ckpt) or exported model (.onnx) anywhere',
        browse: true },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'AU Lens: Select Model',
      placeHolder: found.length ? 'The model to explain expressions with' : 'No checkpoints or ONNX models in this ' +
        'workspace: browse, or train one',
      matchOnDescription: true,
    });
    if (!picked) return;
    if (picked.browse) {
      const files = await vscode.window.showOpenDialog({
        title: 'AU Lens: Select Model', canSelectMany: false, filters: { 'AU Lens models': ['ckpt', 'onnx'] },
        ...(active !== undefined && active !== BUILTIN_MODEL && { defaultUri: vscode.Uri.file(path.dirname(active)) }),
      });
      if (files?.[0]) await setOrOfferImport(ctx, files[0].fsPath);
      return;
    }
    if (typeof picked.model === 'string') await setOrOfferImport(ctx, picked.model);
    else await ctx.models.set(undefined);
    ctx.log.info(`model: ${ctx.models.active ?? 'none'}`);
  };
}

/** Sets the model, unless it is an ONNX model trained elsewhere without its sidecar: then offers the import. */
async function setOrOfferImport(ctx: Ctx, model: string): Promise<void> {
  if (await needsImport(model)) {
    const answer = await vscode.window.showInformationMessage(
      `AU Lens: ${path.basename(model)} was not exported by AU Lens. To explain it, import it: pick the layers to ` +
        `explain and its labels (written to a sidecar config beside it).`,
      'Import…',
    );
    if (answer === 'Import…') await vscode.commands.executeCommand('auLens.importOnnxModel', vscode.Uri.file(model));
    return;
  }
  await ctx.models.set(model);
}
