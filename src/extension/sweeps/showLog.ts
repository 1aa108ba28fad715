import * as vscode from 'vscode';

/** Opens a run's log at its end, where a failure's message is. */
export async function showLog(file: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const end = new vscode.Position(Math.max(0, doc.lineCount - 1), 0);
  await vscode.window.showTextDocument(doc, { preview: true, selection: new vscode.Range(end, end) });
}
