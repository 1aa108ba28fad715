/**
 * "Import ONNX Model…" in the real extension host: the PyTorch peer's tiny64 exported by torch.onnx.export
 * (test/fixtures/golden/tiny64-peer-onnx) copied into the workspace, the quick pick and input box answered by
 * stubs (the tests share the extension's vscode object), then the sidecar on disk and an explanation with it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuLensApi } from '../../src/extension/main';
import { poll, stubWindow } from './support/host';

const EXT_ID = 'au-lens.au-lens';
const workspaceFile = (name: string): vscode.Uri => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, name);

describe('Import ONNX Model…', () => {
  let api: AuLensApi;
  const restore: (() => void)[] = [];
  before(async () => {
    const ext = vscode.extensions.getExtension<AuLensApi>(EXT_ID)!;
    api = await ext.activate();
    const fixture = path.join(ext.extensionPath, 'test', 'fixtures', 'golden', 'tiny64-peer-onnx', 'model.onnx');
    await vscode.workspace.fs.copy(vscode.Uri.file(fixture), workspaceFile('imported/peer.onnx'), { overwrite: true });
  });
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });
  after(async () => {
    await vscode.commands.executeCommand('auLens.selectModel', null);
    await vscode.workspace.fs.delete(workspaceFile('imported'), { recursive: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('offers the import when Select Model picks a foreign .onnx without a sidecar', async () => {
    const offer = stubWindow('showInformationMessage', () => undefined);
    restore.push(offer.restore);
    const picks = stubWindow('showQuickPick', (items) => (items as readonly { model?: string }[]).find((i) => i.model?.endsWith('peer.onnx')));
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.selectModel');
    assert.match(String(offer.calls.at(-1)?.[0]), /peer\.onnx was not exported by AU Lens\. To explain it, import it/);
    assert.equal(offer.calls.at(-1)?.[1], 'Import…');
  });

  it('lists the layers with shapes, preselects the stage outputs, writes the sidecar and explains with the model', async () => {
    const model = workspaceFile('imported/peer.onnx');
    let offered: { label: string; description?: string; picked?: boolean }[] = [];
    const picks = stubWindow('showQuickPick', (items, options) => {
      offered = [...(items as typeof offered)];
      assert.equal((options as vscode.QuickPickOptions).canPickMany, true);
      return offered.filter((i) => i.picked);
    });
    const labels = stubWindow('showInputBox', (o) => {
      const options = o as vscode.InputBoxOptions;
      assert.equal(options.validateInput?.('neutral, happy'), 'the model has 7 outputs: give 7 names (2 so far)');
      assert.match(String(options.validateInput?.('neutral, joyful, a, b, c, d, e')), /"joyful" is not an expression/);
      return options.value;
    });
    restore.push(picks.restore, labels.restore);
    await vscode.commands.executeCommand('auLens.importOnnxModel', model);
    assert.equal(offered.length, 19);
    assert.deepEqual(offered[0], { label: 'stem.0.Conv', description: '16 × 64 × 64', detail: '/model/stem/stem.0/Conv_output_0 · Conv', picked: false, value: '/model/stem/stem.0/Conv_output_0' });
    assert.deepEqual(offered.filter((i) => i.picked).map((i) => i.description), ['16 × 64 × 64', '32 × 32 × 32', '64 × 16 × 16']);
    assert.equal(labels.calls.length, 1);

    const sidecar = JSON.parse(await readFile(workspaceFile('imported/peer.au-lens.json').fsPath, 'utf8')) as { labels: string[]; layers: { name: string }[]; camLayer: string; input: { size: number } };
    assert.deepEqual(sidecar.labels, ['neutral', 'happy', 'surprise', 'fear', 'anger', 'disgust', 'sad']);
    assert.deepEqual(sidecar.layers.map((l) => l.name), ['stages.0.0.Relu_1', 'stages.1.0.Relu_1', 'stages.2.0.Relu_1']);
    assert.equal(sidecar.camLayer, 'stages.2.0.Relu_1');
    assert.equal(sidecar.input.size, 64);
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath.endsWith('peer.au-lens.json')), 'the sidecar is open for review');

    await vscode.commands.executeCommand('auLens.explainExpression', workspaceFile('face.jpg'));
    const panel = api.explainPanel()!;
    await poll('the model explanation', () => panel.lastView?.result.kind === 'model');
    await panel.idle;
    const view = panel.lastView!;
    assert.equal(view.result.kind, 'model');
    if (view.result.kind !== 'model') return;
    assert.equal(view.result.report.model.kind, 'imported');
    assert.deepEqual(Object.keys(view.result.report.attCos), ['stages.0.0.Relu_1', 'stages.1.0.Relu_1', 'stages.2.0.Relu_1']);
    assert.deepEqual(Object.keys(view.result.report.camCos), ['cam', 'gradcam', 'gradcam++', 'layercam']);
  });
});
