import * as path from 'node:path';
import * as vscode from 'vscode';
import { readEvalFile } from '../../trainer/eval/readEvalFile';
import type { Ctx } from '../ctx';
import { explainWith } from './explainWith';
import { failingImages } from './gates';

const fmt = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(2) : '–');

/** The quick fix of a gate diagnostic: the class's worst images of an evaluation; the one picked is explained. */
export function openFailingImages(_ctx: Ctx): (evalFile?: vscode.Uri | string, className?: string) => Promise<void> {
  return async (evalFile, className) => {
    if (evalFile === undefined || className === undefined) throw new Error('run this from a quality-gate problem in ' +
      'the Problems view');
    const file = typeof evalFile === 'string' ? evalFile : evalFile.fsPath;
    const { result } = await readEvalFile(file);
    const layer = result.report.camLayer;
    const images = failingImages(result, className);
    if (images.length === 0) {
      void vscode.window.showInformationMessage(`AU Lens: the evaluation has no ${className} images.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(images.map((r) => ({
      label: `${r.prediction === r.label ? '$(pass)' : '$(error)'} ${path.basename(r.path)}`,
      description: `predicted ${r.prediction} (${Math.round(100 * r.confidence)} %) · ${layer} ATT-COS ` +
        `${fmt(r.attCos[layer])}`,
      detail: vscode.workspace.asRelativePath(r.path),
      path: r.path,
    })), { title: `AU Lens: ${className} images, worst first`,
    placeHolder: 'Pick an image to explain with the evaluated model', matchOnDescription: true });
    if (picked) await explainWith(result.model, picked.path);
  };
}
