/**
 * The extension in a real VS Code extension host (scripts/vscode-host/run-vscode-tests.mjs). The workspace is a
 * throwaway copy of test/fixtures/workspace plus face.jpg (face-api's MIT demo photo). The tests run in order: the
 * first ones check that nothing activated the extension before its command ran.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXT_ID = 'au-lens.au-lens';
const COMMAND = 'auLens.showAuMaps';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const workspaceFile = (name: string): vscode.Uri => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a condition that the workbench syncs to the extension host asynchronously (tabs, documents). */
async function poll<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Records the error notifications the extension shows, answering each with `answer`. Tests share the extension's
 * `vscode` API object (the host hands one per extension, and the tests live inside this extension's folder).
 */
function captureErrors(answer?: string): { calls: string[][]; restore(): void } {
  const window = vscode.window as { showErrorMessage: unknown };
  const original = window.showErrorMessage;
  const calls: string[][] = [];
  window.showErrorMessage = (...args: string[]) => {
    calls.push(args);
    return Promise.resolve(answer);
  };
  return { calls, restore: () => { window.showErrorMessage = original; } };
}

/** The tab showing the heatmap PNG, once it is open. */
function auMapsTab(name: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) =>
    t.input instanceof vscode.TabInputCustom && t.input.uri.path.endsWith(`/globalStorage/${EXT_ID}/aumaps/${name}`));
}

describe('AU Lens in the VS Code extension host', () => {
  let errors: ReturnType<typeof captureErrors> | undefined;
  afterEach(async () => {
    errors?.restore();
    errors = undefined;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runs in a Node extension host', () => {
    console.log(`    (VS Code ${vscode.version}, Node ${process.version}, uiKind ${vscode.env.uiKind}, appHost ${vscode.env.appHost})`);
    assert.equal(typeof process.versions.node, 'string');
  });

  it('is installed, not active at startup, and declares no eager activation event', () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} not found`);
    assert.equal(ext.isActive, false);
    const events = (ext.packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
    assert.deepEqual(events.filter((e) => e === '*' || e === 'onStartupFinished'), []);
  });

  it('stays inactive while an image and a text file are opened', async () => {
    await vscode.commands.executeCommand('vscode.open', workspaceFile('face.jpg'));
    await vscode.window.showTextDocument(workspaceFile('notes.txt'));
    await sleep(500);
    assert.equal(vscode.extensions.getExtension(EXT_ID)!.isActive, false);
  });

  it('activates on its command; on a text file it shows a clear error and does not throw', async () => {
    errors = captureErrors();
    const started = performance.now();
    await vscode.commands.executeCommand(COMMAND, workspaceFile('notes.txt'));
    console.log(`    (first command, activation included: ${(performance.now() - started).toFixed(0)} ms)`);
    assert.equal(vscode.extensions.getExtension(EXT_ID)!.isActive, true);
    assert.equal(errors.calls.length, 1);
    assert.match(errors.calls[0]![0]!, /^AU Lens: select an image \(PNG, JPEG, TIFF, WebP or GIF\)/);
  });

  it('refuses the text file open in the active tab when called with no argument', async () => {
    await vscode.window.showTextDocument(workspaceFile('notes.txt'));
    errors = captureErrors();
    await vscode.commands.executeCommand(COMMAND);
    assert.equal(errors.calls.length, 1);
    assert.match(errors.calls[0]![0]!, /select an image/);
  });

  it('draws the AU heatmaps of an Explorer image into global storage and opens the PNG beside it', async () => {
    errors = captureErrors();
    await vscode.commands.executeCommand(COMMAND, workspaceFile('face.jpg'));
    assert.deepEqual(errors.calls, []);
    const tab = await poll('the heatmap tab', () => auMapsTab('face-aumaps.png'));
    assert.equal((tab.input as vscode.TabInputCustom).viewType, 'imagePreview.previewEditor');
    assert.equal(tab.isActive, true);
    const png = await vscode.workspace.fs.readFile((tab.input as vscode.TabInputCustom).uri);
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    assert.ok(png.length > 10_000, `a ${png.length}-byte PNG is too small for a face with heatmaps`);
  });

  it('with no argument, draws the image open in the active tab (editor title and Command Palette)', async () => {
    await vscode.commands.executeCommand('vscode.open', workspaceFile('face.jpg'));
    await poll('the image tab', () => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'face.jpg' || undefined);
    const before = Date.now();
    errors = captureErrors();
    await vscode.commands.executeCommand(COMMAND);
    assert.deepEqual(errors.calls, []);
    const tab = await poll('the heatmap tab', () => auMapsTab('face-aumaps.png'));
    const image = vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.label === 'face.jpg'));
    assert.notEqual(tab.group.viewColumn, image?.viewColumn, 'the heatmaps should open beside the image');
    const stat = await vscode.workspace.fs.stat((tab.input as vscode.TabInputCustom).uri);
    assert.ok(stat.mtime >= before - 1000, 'the PNG was not rewritten');
  });

  it('reports a file that is not an image with "Show Output", which reveals the AU Lens output channel', async () => {
    errors = captureErrors('Show Output');
    await vscode.commands.executeCommand(COMMAND, workspaceFile('broken.png'));
    assert.equal(errors.calls.length, 1);
    const [message, ...items] = errors.calls[0]!;
    assert.match(message!, /^AU Lens: .*broken\.png.*not an image/);
    assert.deepEqual(items, ['Show Output']);
    const channel = await poll('the AU Lens output channel', () => vscode.workspace.textDocuments.find((d) =>
      d.uri.scheme === 'output' && decodeURIComponent(d.uri.path).endsWith('AU Lens') && /broken\.png/.test(d.getText()) ? d : undefined));
    const text = channel.getText();
    assert.match(text, /\[info\] activated in \d+(\.\d+)? ms/);
    assert.match(text, /\[error\] broken\.png: .*not an image/);
    assert.match(text, /\[info\] AU maps of .*face\.jpg/);
    console.log(`    (${/activated in [\d.]+ ms/.exec(text)![0]}, measured inside activate())`);
  });
});
