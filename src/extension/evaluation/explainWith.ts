import * as vscode from 'vscode';
import { ExplainPanel } from '../panels/explainPanel';
import { targetImage } from '../commands/images';

/**
 * Makes `model` the active model and explains `image` with it; without an image, the open explanation panel
 * re-explains its photo with the new model by itself, else the image in the active tab is explained, if any.
 */
export async function explainWith(model: string, image?: string): Promise<void> {
  await vscode.commands.executeCommand('auLens.selectModel', model);
  const uri = image !== undefined ? vscode.Uri.file(image)
    : ExplainPanel.currentPanel ? undefined : targetImage(undefined);
  if (uri) await vscode.commands.executeCommand('auLens.explainExpression', uri);
}
