/**
 * What the model, dataset and run-config picks of Select Model, Train Model, Evaluate Model and Compare Models offer
 * from the workspace: one search each, so they agree on which files and folders they find.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_CONFIG_SUFFIX } from '../trainer/train/runConfig';
import { IMAGE_EXTENSIONS } from './commands/images';
import type { DatasetGuess } from './training/datasetGuess';
import { guessDatasets } from './training/datasetGuess';

/**
 * Run folders and build outputs hold no training data or run configs; dependencies and git hold neither data nor
 * models.
 */
const DATA_EXCLUDE = '**/{node_modules,.git,runs,dist,out}/**';
const MODEL_EXCLUDE = '**/{node_modules,.git}/**';
/** The search matches case-sensitively, and cameras write FACE.JPG. */
const IMAGE_GLOB = `**/*.{${[...IMAGE_EXTENSIONS].flatMap((e) => [e.slice(1), e.slice(1).toUpperCase()]).join(',')}}`;
const MAX_IMAGES = 20_000;
const MAX_MODELS = 500;

/** Folders with two or more class sub-folders of images, most images first (datasetGuess.ts). */
export async function findWorkspaceDatasets(): Promise<DatasetGuess[]> {
  const images = await vscode.workspace.findFiles(IMAGE_GLOB, DATA_EXCLUDE, MAX_IMAGES);
  return guessDatasets(images.map((u) => u.fsPath));
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
