/**
 * The quick picks of "Compare Models…": a model (workspace checkpoints and exported models, the built-in model,
 * Browse…), what to compare on (this image, another image, a dataset folder), and a dataset folder (workspace folders
 * with class subfolders of images, Browse…). Each returns undefined when the user dismisses it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_MODEL } from '../../trainer/protocol';
import type { CompareModel } from '../../webview/protocol/compare';
import { IMAGE_EXTENSIONS, targetImage } from '../commands/images';
import { describeGuess } from '../training/datasetGuess';
import { findWorkspaceDatasets, findWorkspaceModels, modelFileItem } from '../workspaceFiles';

type Item<T> = vscode.QuickPickItem & { readonly value?: T; readonly browse?: true };

/** A model as people read it: the built-in model by its name, a file by its workspace-relative path. */
export function compareModel(model: string): CompareModel {
  return { model, name: model === BUILTIN_MODEL ? 'face-api (built-in)' : vscode.workspace.asRelativePath(model) };
}

/**
 * The steps stay open when focus moves (a panel repainting, a glance at a file), as the training wizard's do:
 * closing would lose the earlier answers; Escape still cancels.
 */
const STEP_OPTIONS = { ignoreFocusOut: true } as const satisfies vscode.QuickPickOptions;

async function pick<T>(items: readonly Item<T>[], options: vscode.QuickPickOptions,
  browse: () => Thenable<vscode.Uri[] | undefined>): Promise<T | string | undefined> {
  const picked = await vscode.window.showQuickPick(items, { matchOnDescription: true, ...STEP_OPTIONS, ...options });
  if (!picked) return undefined;
  if (!picked.browse) return picked.value;
  return (await browse())?.[0]?.fsPath;
}

/** Model A or B; `other` (the model already chosen) is marked, and choosing it again is refused by the caller. */
export async function pickModel(side: 'A' | 'B', other: string | undefined): Promise<string | undefined> {
  const items: Item<string>[] = [
    ...(await findWorkspaceModels()).map((file): Item<string> => ({
      ...modelFileItem(file),
      ...(file === other && { detail: 'already model A' }),
      value: file,
    })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(sparkle) face-api expression network', description: 'built in (MIT)',
      ...(other === BUILTIN_MODEL && { detail: 'already model A' }), value: BUILTIN_MODEL },
    { label: '$(folder-opened) Browse…', description: 'a checkpoint (.ckpt) or exported model (.onnx) anywhere',
      browse: true },
  ];
  return pick(items, {
    title: `AU Lens: Compare Models (${side === 'A' ? '1' : '2'}/3)`,
    placeHolder: side === 'A' ? 'Model A: the baseline' : 'Model B: the model compared with A (differences are B − A)',
  }, () => vscode.window.showOpenDialog({ title: `AU Lens: model ${side}`, canSelectMany: false,
    filters: { 'AU Lens models': ['ckpt', 'onnx'] } }));
}

export type CompareOn = { readonly mode: 'image'; readonly image: string }
  | { readonly mode: 'dataset'; readonly data: string };

/** What to compare on: the open image, another image, or a dataset folder. */
export async function pickSubject(): Promise<CompareOn | undefined> {
  const open = targetImage(undefined);
  const items: Item<'open' | 'image' | 'dataset'>[] = [
    ...(open ? [{ label: '$(file-media) This image', description: path.basename(open.fsPath),
      detail: 'Both models explain it: maps side by side with their difference', value: 'open' as const }] : []),
    { label: '$(file-media) An image…', description: 'pick a photo',
      detail: 'Both models explain it: maps side by side with their difference', value: 'image' },
    { label: '$(folder-library) A dataset folder', description: 'one subfolder of images per expression',
      detail: 'Δ accuracy with a 95 % interval, McNemar’s test, Δ ATT-COS per layer and class, flipped images',
      value: 'dataset' },
  ];
  const choice = await vscode.window.showQuickPick(items,
    { ...STEP_OPTIONS, title: 'AU Lens: Compare Models (3/3)', placeHolder: 'Compare the two models on…' });
  if (!choice) return undefined;
  if (choice.value === 'open' && open) return { mode: 'image', image: open.fsPath };
  if (choice.value === 'image') {
    const files = await vscode.window.showOpenDialog({
      title: 'AU Lens: image to compare on', canSelectMany: false,
      filters: { Images: [...IMAGE_EXTENSIONS].map((e) => e.slice(1)) },
    });
    return files?.[0] ? { mode: 'image', image: files[0].fsPath } : undefined;
  }
  const data = await pickDatasetFolder();
  return data === undefined ? undefined : { mode: 'dataset', data };
}

async function pickDatasetFolder(): Promise<string | undefined> {
  // The same datasets the training wizard offers.
  const found = await findWorkspaceDatasets();
  const items: Item<string>[] = [
    ...found.map((f): Item<string> => ({
      label: `$(${f.layout === 'image-folder' ? 'folder' : 'database'}) ${vscode.workspace.asRelativePath(f.folder)}`,
      description: describeGuess(f), value: f.folder,
    })),
    { label: '$(folder-opened) Browse…', description: 'a folder with one subfolder of images per expression',
      browse: true },
  ];
  return pick(items, {
    title: 'AU Lens: dataset folder to compare on',
    placeHolder: found.length ? 'Both models are evaluated on every image of the folder' : 'No dataset folder in ' +
      'this workspace: browse for one',
  }, () => vscode.window.showOpenDialog({ title: 'AU Lens: dataset folder', canSelectFiles: false,
    canSelectFolders: true, canSelectMany: false }));
}
