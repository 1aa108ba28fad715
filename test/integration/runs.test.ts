/**
 * The Runs view, Evaluate Model and the quality gates in the real extension host: a run folder with a tiny64
 * checkpoint in the throwaway workspace, a few CK+48 faces copied beside it, picks and confirmations stubbed (the
 * tests share the extension's vscode object). The webview's DOM is out of reach: the tests read what the host sent.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { copyFile, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuLensApi } from '../../src/extension/main';
import type { RunsNode } from '../../src/extension/runs/runNodes';
import { childrenOf, treeItemOf } from '../../src/extension/runs/runsTree';
import { untrainedCheckpoint } from '../../src/trainer/explain/benchExplain';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';
import { OpenFileCommand } from '../../src/webview/protocol/evaluation';
import { poll, stubWindow as stub } from './support/host';

const EXT_ID = 'au-lens.au-lens';
const CK48 = '/work/shared/data/ck48';
const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

describe('Runs view, Evaluate Model and quality gates', function () {
  this.timeout(120_000);
  let api: AuLensApi;
  const restore: (() => void)[] = [];
  let runDir = '';
  let data = '';

  before(async function () {
    if (!existsSync(CK48)) this.skip();
    api = await vscode.extensions.getExtension<AuLensApi>(EXT_ID)!.activate();
    runDir = path.join(root(), 'runs', 'tiny-run');
    const ckpt = untrainedCheckpoint('tiny64', 3, ['happy', 'sad', 'surprise']);
    await saveCheckpoint(path.join(runDir, 'best.ckpt'), { ...ckpt, epoch: 1, metrics: [{ epoch: 1, valAccuracy: 0.5, valAttCos: 0.3 }] });
    data = path.join(root(), 'faces');
    for (const cls of ['happy', 'surprise']) {
      await mkdir(path.join(data, cls), { recursive: true });
      for (const f of (await readdir(path.join(CK48, cls))).sort().slice(0, 2)) await copyFile(path.join(CK48, cls, f), path.join(data, cls, f));
    }
    await vscode.workspace.getConfiguration('auLens.qualityGates').update('minAttCos', 0.99, vscode.ConfigurationTarget.Workspace);
  });
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });
  after(async () => {
    await vscode.workspace.getConfiguration('auLens.qualityGates').update('minAttCos', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('lists the run with its checkpoint and metrics, and declares the view and its menus', async () => {
    await vscode.commands.executeCommand('auLens.refreshRuns');
    const runs = await api.ctx.runs.current();
    const run = runs.find((r) => r.folder === runDir);
    assert.ok(run, `runs: ${runs.map((r) => r.folder).join(', ')}`);
    const node: RunsNode = { kind: 'run', run };
    const [ckpt] = childrenOf(node);
    assert.equal(ckpt?.kind, 'checkpoint');
    const item = treeItemOf(ckpt);
    assert.equal(item.label, 'best.ckpt');
    assert.match(String(item.description), /epoch 1 · val 50\.0 %/);
    assert.equal(item.contextValue, 'auLens.checkpoint');
    const metrics = childrenOf(ckpt).map((m) => treeItemOf(m));
    assert.ok(metrics.some((m) => m.label === 'validation accuracy' && m.description === '50.0 %'));
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as {
      contributes: { views: Record<string, { id: string }[]>; viewsWelcome: { view: string; contents: string }[]; menus: Record<string, { command: string; when: string }[]> };
    };
    assert.equal(pkg.contributes.views['auLens']?.[0]?.id, 'auLens.runs');
    assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'auLens.runs' && w.contents.startsWith('No runs yet.\n[Train Model](command:auLens.trainModel)')));
    const ctxMenu = pkg.contributes.menus['view/item/context']!.map((m) => m.command);
    for (const c of ['auLens.evaluateModel', 'auLens.explainWithModel', 'auLens.compareModels', 'auLens.exportOnnx', 'auLens.revealRun', 'auLens.deleteRun']) assert.ok(ctxMenu.includes(c), c);
  });

  it('evaluates a checkpoint from the tree on a picked folder: eval JSON, results panel, a gate diagnostic on its line', async () => {
    const run = (await api.ctx.runs.current()).find((r) => r.folder === runDir)!;
    const picks = stub('showQuickPick', async (items: unknown) => ((await items) as (vscode.QuickPickItem & { data?: string })[]).find((i) => i.data === data));
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.evaluateModel', { kind: 'checkpoint', run, checkpoint: run.checkpoints[0] });
    const file = path.join(runDir, 'eval-faces.json');
    assert.ok(existsSync(file), 'eval-faces.json was written');
    const stored = JSON.parse(await readFile(file, 'utf8')) as { images: { path: string }[] };
    assert.equal(stored.images.length, 4);
    const view = api.evaluationPanel()?.lastView;
    assert.ok(view, 'the results panel shows the evaluation');
    assert.equal(view.report.samples, 4);
    assert.ok(view.worst.length === 4 && view.worst.every((w) => w.src.length > 0));
    assert.ok(view.gateFailures.some((g) => /ATT-COS .* < 0\.99 \(auLens\.qualityGates\.minAttCos\)/.test(g)));

    const diagnostics = await poll('a gate diagnostic', () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(file));
      return d.length > 0 && d;
    });
    const d = diagnostics[0]!;
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(d.source, 'AU Lens');
    const doc = await vscode.workspace.openTextDocument(file);
    assert.match(doc.lineAt(d.range.start.line).text, /"mean": [\d.]+/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => /^Open the failing images \((happy|surprise)\)$/.test(t)), titles.join(' | '));
    assert.ok(titles.includes('Change the threshold (auLens.qualityGates.minAttCos)'), titles.join(' | '));

    // Relaxing the gate clears the problem.
    await vscode.workspace.getConfiguration('auLens.qualityGates').update('minAttCos', 0, vscode.ConfigurationTarget.Workspace);
    await poll('the diagnostic to go', () => vscode.languages.getDiagnostics(vscode.Uri.file(file)).length === 0);
  });

  it('cancelling the progress notification stops the evaluation and writes nothing', async () => {
    const other = path.join(root(), 'faces-cancel');
    await mkdir(other, { recursive: true });
    for (const cls of ['happy', 'surprise']) await cp(path.join(data, cls), path.join(other, cls), { recursive: true });
    const picks = stub('showQuickPick', async (items: unknown) => ((await items) as (vscode.QuickPickItem & { data?: string })[]).find((i) => i.data === other));
    restore.push(picks.restore);
    const info = stub('showInformationMessage', () => undefined);
    restore.push(info.restore);
    // The user presses Cancel as soon as the first progress arrives.
    const progress = stub('withProgress', (_options: unknown, task: unknown) => {
      const source = new vscode.CancellationTokenSource();
      return (task as (p: vscode.Progress<unknown>, t: vscode.CancellationToken) => Promise<unknown>)({ report: () => source.cancel() }, source.token);
    });
    restore.push(progress.restore);
    await vscode.commands.executeCommand('auLens.evaluateModel', path.join(runDir, 'best.ckpt'));
    assert.match(String(info.calls[0]?.[0]), /evaluation cancelled; nothing was written/);
    assert.ok(!existsSync(path.join(runDir, 'eval-faces-cancel.json')));
  });

  it('evaluates the built-in model into runs/faceapi-expression when it is the active model', async () => {
    await vscode.commands.executeCommand('auLens.selectModel', 'faceapi-expression');
    const picks = stub('showQuickPick', async (items: unknown) => ((await items) as (vscode.QuickPickItem & { data?: string })[]).find((i) => i.data === data));
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.evaluateModel');
    const file = path.join(root(), 'runs', 'faceapi-expression', 'eval-faces.json');
    assert.ok(existsSync(file), 'the evaluation of the built-in model is written into the workspace');
    assert.equal(api.evaluationPanel()?.lastView?.modelName, 'faceapi-expression');
    await vscode.commands.executeCommand('auLens.selectModel', null);
    await rm(path.dirname(file), { recursive: true });

    // The page's "open the eval file" once the file is gone: an error whose notification offers the log.
    const errors = stub('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    await api.evaluationPanel()!.onMessage(OpenFileCommand.message(undefined));
    assert.match(String(errors.calls[0]?.[0]), /^AU Lens: /);
    assert.deepEqual(errors.calls[0]?.slice(1), ['Show Output']);
  });

  it('refuses a bad dataset folder with a clear error and writes nothing', async () => {
    const bad = path.join(root(), 'not-a-dataset.txt');
    await writeFile(bad, 'x');
    const errors = stub('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    const dialog = stub('showOpenDialog', () => [vscode.Uri.file(bad)]);
    restore.push(dialog.restore);
    const picks = stub('showQuickPick', async (items: unknown) => ((await items) as (vscode.QuickPickItem & { browse?: true })[]).find((i) => i.browse));
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.evaluateModel', path.join(runDir, 'best.ckpt'));
    await poll('the error', () => errors.calls.length > 0);
    assert.match(String(errors.calls[0]![0]), /not-a-dataset\.txt is not a folder/);
    assert.ok(!existsSync(path.join(runDir, 'eval-not-a-dataset.txt.json')));
  });

  it('exports a checkpoint as ONNX where the save dialog says; Explain with This Model explains the open image with it', async () => {
    const out = path.join(root(), 'exported', 'tiny.onnx');
    const save = stub('showSaveDialog', () => vscode.Uri.file(out));
    restore.push(save.restore);
    const info = stub('showInformationMessage', () => undefined);
    restore.push(info.restore);
    const run = (await api.ctx.runs.current()).find((r) => r.folder === runDir)!;
    const node = { kind: 'checkpoint', run, checkpoint: run.checkpoints[0] };
    await vscode.commands.executeCommand('auLens.exportOnnx', node);
    assert.match(String((save.calls[0]![0] as vscode.SaveDialogOptions).defaultUri?.fsPath), /tiny-run-best\.onnx$/);
    assert.ok(existsSync(out), 'the ONNX file was written');
    assert.match(String(info.calls[0]![0]), /exported tiny\.onnx/);

    // With an image in the active tab (and no explanation panel yet, or one that follows the active model).
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path.join(root(), 'face.jpg')));
    await vscode.commands.executeCommand('auLens.explainWithModel', node);
    const explained = await poll('an explanation with the checkpoint', () => {
      const view = api.explainPanel()?.lastView;
      return view?.target.model === path.join(runDir, 'best.ckpt') && view;
    }, 60_000);
    assert.equal(explained.target.imageName, 'face.jpg');
    await vscode.commands.executeCommand('auLens.selectModel', null);
  });

  it('opens ONNX models in a trusted workspace: the exported model explains the image (the worker is told so)', async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    const onnx = path.join(root(), 'exported', 'tiny.onnx');
    await vscode.commands.executeCommand('auLens.explainWithModel', onnx);
    const p = await poll('the explanation with the ONNX model', () => {
      const panel = api.explainPanel();
      return (panel?.lastView?.target.model === onnx || panel?.lastFailure?.target.model === onnx) && panel;
    }, 60_000);
    await p.idle;
    assert.equal(p.lastFailure, undefined, p.lastFailure?.message);
    assert.equal(p.lastView?.result.kind, 'model');
    await vscode.commands.executeCommand('auLens.selectModel', null);
  });

  /** A run.lock held by a live process on this host other than this one (the extension host's parent). */
  const liveLock = (): string => JSON.stringify({ pid: process.ppid, host: os.hostname(),
    startedAt: new Date().toISOString(), command: 'train', token: 'e'.repeat(32) });

  it('refuses to delete the workspace folder, or a run folder that holds other files, saying what it found', async () => {
    const warn = stub('showWarningMessage', () => 'Delete');
    restore.push(warn.restore);
    await vscode.commands.executeCommand('auLens.deleteRun', root());
    assert.match(String(warn.calls.at(-1)![0]), /is a workspace folder or holds one; AU Lens deletes run folders/);
    const mixed = path.join(root(), 'runs', 'mixed');
    await saveCheckpoint(path.join(mixed, 'last.ckpt'), untrainedCheckpoint('tiny64', 6, ['happy', 'sad']));
    await writeFile(path.join(mixed, 'notes.md'), 'mine');
    await vscode.commands.executeCommand('auLens.deleteRun', path.join(mixed, 'last.ckpt'));
    assert.match(String(warn.calls.at(-1)![0]), /holds files that are not the run's \(notes\.md\)/);
    assert.equal(warn.calls.length, 2, 'no confirmation was asked');
    assert.ok(existsSync(path.join(mixed, 'notes.md')) && existsSync(path.join(mixed, 'last.ckpt')));
    await rm(mixed, { recursive: true });
  });

  it('refuses to delete a run a live training holds, checking again once the deletion is confirmed', async () => {
    const held = path.join(root(), 'runs', 'held');
    await saveCheckpoint(path.join(held, 'last.ckpt'), untrainedCheckpoint('tiny64', 7, ['happy', 'sad']));
    await writeFile(path.join(held, 'run.lock'), liveLock());
    let warn = stub('showWarningMessage', () => 'Delete');
    await vscode.commands.executeCommand('auLens.deleteRun', held);
    warn.restore();
    assert.match(String(warn.calls[0]![0]), /"held" is in use by a training \(pid \d+ on this host, started .* by train\)/);
    assert.equal(warn.calls.length, 1);
    // A training takes the run while the confirmation is open.
    await rm(path.join(held, 'run.lock'));
    warn = stub('showWarningMessage', (message) => {
      if (/Delete the run/.test(String(message))) writeFileSync(path.join(held, 'run.lock'), liveLock());
      return 'Delete';
    });
    restore.push(warn.restore);
    await vscode.commands.executeCommand('auLens.deleteRun', held);
    assert.match(String(warn.calls[0]![0]), /Delete the run "held"\?/);
    assert.match(String(warn.calls[1]![0]), /"held" is in use by a training/);
    assert.ok(existsSync(path.join(held, 'last.ckpt')), 'nothing was deleted');
  });

  it('Resume refuses a run a live training holds, naming it, and starts nothing', async () => {
    const held = path.join(root(), 'runs', 'held');
    const now = new Date().toISOString();
    await writeFile(path.join(held, 'run.json'), JSON.stringify({ version: 1, name: 'held', status: 'cancelled',
      settings: { data: data }, pid: 4_194_305, startedAt: now, updatedAt: now, epochs: { done: 1, total: 3 } }));
    const errors = stub('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    await vscode.commands.executeCommand('auLens.resumeTraining', held);
    assert.match(String(errors.calls[0]![0]), /^AU Lens: held is in use by another training \(pid \d+ on this host/);
    assert.equal(api.training.current, undefined);
    await rm(held, { recursive: true });
  });

  it('shows a run.json\'s text in its tooltip as plain text: no Markdown, no command links', async () => {
    const odd = path.join(root(), 'runs', 'odd');
    await mkdir(odd, { recursive: true });
    const now = new Date().toISOString();
    const error = '[Open a terminal](command:workbench.action.terminal.new) **now**';
    await writeFile(path.join(odd, 'run.json'), JSON.stringify({ version: 1, name: 'odd', status: 'failed', error,
      settings: {}, pid: 4_194_305, startedAt: now, updatedAt: now, epochs: { done: 0, total: 3 } }));
    const run = (await api.ctx.runs.refresh()).find((r) => r.folder === odd)!;
    const tooltip = treeItemOf({ kind: 'run', run }).tooltip;
    assert.equal(typeof tooltip, 'string');
    assert.ok(String(tooltip).includes(error), String(tooltip));
    await rm(odd, { recursive: true });
  });

  it('refuses to delete a run that is training', async () => {
    const busy = path.join(root(), 'runs', 'busy');
    await saveCheckpoint(path.join(busy, 'last.ckpt'), untrainedCheckpoint('tiny64', 5, ['happy', 'sad']));
    const now = new Date().toISOString();
    // A live process other than this extension host (its parent): the run trains in another window.
    await writeFile(path.join(busy, 'run.json'), JSON.stringify({ version: 1, name: 'busy', status: 'running', settings: {}, pid: process.ppid, startedAt: now, updatedAt: now, epochs: { done: 0, total: 3 } }));
    const run = (await api.ctx.runs.refresh()).find((r) => r.folder === busy)!;
    const warn = stub('showWarningMessage', () => 'Delete');
    restore.push(warn.restore);
    await vscode.commands.executeCommand('auLens.deleteRun', { kind: 'run', run });
    assert.match(String(warn.calls[0]![0]), /"busy" is training; cancel it before deleting it/);
    assert.ok(existsSync(busy));
    await rm(busy, { recursive: true }); // other suites look for running runs too
  });

  it('deletes a run only after a modal confirmation that names it', async () => {
    const doomed = path.join(root(), 'runs', 'doomed');
    await saveCheckpoint(path.join(doomed, 'last.ckpt'), untrainedCheckpoint('tiny64', 4, ['happy', 'sad']));
    const run = (await api.ctx.runs.refresh()).find((r) => r.folder === doomed)!;
    const answers: (string | undefined)[] = [undefined, 'Delete'];
    const warn = stub('showWarningMessage', (...args: unknown[]) => (args.includes('Delete Permanently') ? 'Delete Permanently' : answers.shift()));
    restore.push(warn.restore);
    await vscode.commands.executeCommand('auLens.deleteRun', { kind: 'run', run });
    assert.match(String(warn.calls[0]![0]), /Delete the run "doomed"\?/);
    assert.deepEqual((warn.calls[0]![1] as { modal: boolean }).modal, true);
    assert.match((warn.calls[0]![1] as { detail: string }).detail, /1 checkpoint \(last\.ckpt\)/);
    assert.ok(existsSync(doomed), 'nothing is deleted without the confirmation');
    await vscode.commands.executeCommand('auLens.deleteRun', { kind: 'run', run });
    assert.ok(!existsSync(doomed), 'the run folder is gone');
    assert.ok(!(await api.ctx.runs.current()).some((r) => r.folder === doomed));
  });
});
