/**
 * What the model, dataset and run-config picks of Select Model, Train Model, Evaluate Model and Compare Models offer
 * from the workspace: one search each, so they agree on which files and folders they find.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { affectNetImageFolder, detectLayout } from '../trainer/io/layouts/detect';
import { RUN_CONFIG_SUFFIX } from '../trainer/train/runConfig';
import { IMAGE_EXTENSIONS } from './commands/images';
import type { DatasetGuess, FoundLayout } from './training/datasetGuess';
import { AFFECTNET_LABELS_GLOB, guessDatasets, LAYOUT_FILES_GLOB, markerRoot } from './training/datasetGuess';

/**
 * Run folders and build outputs hold no training data or run configs; dependencies and git hold neither data nor
 * models.
 */
const DATA_EXCLUDE = '**/{node_modules,.git,runs,dist,out}/**';
const MODEL_EXCLUDE = '**/{node_modules,.git}/**';
/** The search matches case-sensitively, and cameras write FACE.JPG. */
const IMAGE_GLOB = `**/*.{${[...IMAGE_EXTENSIONS].flatMap((e) => [e.slice(1), e.slice(1).toUpperCase()]).join(',')}}`;
const MAX_IMAGES = 20_000;
/** Files that mark a dataset (label lists, FER2013's CSV…): a workspace rarely holds more than a few datasets. */
const MAX_MARKERS = 50;
const MAX_MODELS = 500;

/** The layout of the folder a marker file points at, when it is a dataset of its own; undefined otherwise. */
async function layoutAt(folder: string): Promise<FoundLayout | undefined> {
  try {
    const { layout, root } = await detectLayout(folder);
    if (layout === 'image-folder' || layout === 'csv-manifest') return undefined;
    // training.csv is a common name: AffectNet's comes with its image folder.
    if (layout === 'affectnet-csv' && (await affectNetImageFolder(root)) === undefined) return undefined;
    return { folder: root, layout };
  } catch {
    return undefined;
  }
}

/**
 * Datasets in the workspace: RAF-DB-, FER2013-, FERPlus- and AffectNet-shaped folders, recognised by their files
 * without reading them, then folders with two or more class sub-folders of images, most images first.
 */
export async function findWorkspaceDatasets(): Promise<DatasetGuess[]> {
  const [images, files, labels] = await Promise.all([
    vscode.workspace.findFiles(IMAGE_GLOB, DATA_EXCLUDE, MAX_IMAGES),
    vscode.workspace.findFiles(LAYOUT_FILES_GLOB, DATA_EXCLUDE, MAX_MARKERS),
    vscode.workspace.findFiles(AFFECTNET_LABELS_GLOB, DATA_EXCLUDE, 2),
  ]);
  const folders = new Set([...files, ...labels].flatMap((u) => markerRoot(u.fsPath) ?? []));
  const layouts = (await Promise.all([...folders].map(layoutAt))).filter((l) => l !== undefined);
  const unique = [...new Map(layouts.map((l) => [l.folder, l])).values()];
  return guessDatasets(images.map((u) => u.fsPath), unique);
}

/** The workspace's checkpoints and ONNX models, by path. */
export async function findWorkspaceModels(): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/*.{ckpt,onnx}', MODEL_EXCLUDE, MAX_MODELS);
  return found.map((u) => u.fsPath).sort((a, b) => a.localeCompare(b));
}

/** The workspace's run configs (`*.au-lens-run.json`), at most `max`. */
export async function findWorkspaceRunConfigs(max: number): Promise<vscode.Uri[]> {
  return vscode.workspace.findFiles(`**/*${RUN_CONFIG_SUFFIX}`, DATA_EXCLUDE, max);
}

/** A model file as a quick pick shows it: its kind's icon and name, and the folder it is in. */
export function modelFileItem(file: string): { label: string; description: string } {
  return { label: `$(${file.endsWith('.onnx') ? 'package' : 'file-binary'}) ${path.basename(file)}`,
    description: vscode.workspace.asRelativePath(path.dirname(file)) };
}
