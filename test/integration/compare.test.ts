/**
 * "Compare Models…" in the real extension host: the picks stubbed (the tests share the extension's vscode object),
 * image mode with a tiny64 checkpoint against the built-in face-api model, A = B refused, dataset mode on a few CK+48
 * images copied into the throwaway workspace, a flipped image explained, and a folder with no images. The page's DOM
 * is out of reach, so the tests read what the host sent (lastView, lastFailure) and what the page reported drawing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuLensApi } from '../../src/extension/main';
import type { ComparePanel } from '../../src/extension/panels/comparePanel';
import { untrainedCheckpoint } from '../../src/trainer/explain/benchExplain';
import { BUILTIN_MODEL } from '../../src/trainer/protocol';
import { saveCheckpoint } from '../../src/trainer/train/checkpoint';
import { ExplainClassCommand, ExplainImageCommand } from '../../src/webview/protocol/compare';
import { poll, sleep, stubWindow } from './support/host';

const EXT_ID = 'au-lens.au-lens';
const CK48 = '/work/shared/data/ck48';
const workspaceFile = (name: string): vscode.Uri => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, name);
type Item = vscode.QuickPickItem & { value?: unknown };

/** Answers successive quick picks, each with the first item whose label or value matches. */
function answerPicks(...choices: RegExp[]): { titles: string[]; restore(): void } {
  const titles: string[] = [];
  const s = stubWindow('showQuickPick', async (items: unknown, options: unknown) => {
    titles.push((options as vscode.QuickPickOptions).title ?? '');
    const choice = choices.shift();
    const list = (await items) as Item[];
    return choice && list.find((i) => choice.test(i.label) || (typeof i.value === 'string' && choice.test(i.value)));
  });
  return { titles, restore: s.restore };
}

describe('Compare Models', () => {
  let api: AuLensApi;
  const restore: (() => void)[] = [];
  const ckpt = workspaceFile('models/compare-a.ckpt');
  const panel = (): ComparePanel => {
    const p = api.comparePanel();
    assert.ok(p, 'no comparison panel');
    return p;
  };

  before(async () => {
    api = await vscode.extensions.getExtension<AuLensApi>(EXT_ID)!.activate();
    await vscode.workspace.fs.createDirectory(workspaceFile('models'));
    await saveCheckpoint(ckpt.fsPath, untrainedCheckpoint('tiny64', 11));
  });
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('is declared with its panel serializer activation', () => {
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as { activationEvents: string[]; contributes: { commands: { command: string; title: string }[] } };
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:auLens.compare'));
    assert.equal(pkg.contributes.commands.find((c) => c.command === 'auLens.compareModels')?.title, 'Compare Models…');
  });

  it('image mode: A from the argument, B and "This image" picked; A, B and their difference per map', async () => {
    await vscode.commands.executeCommand('vscode.open', workspaceFile('face.jpg'));
    await poll('the image tab', () => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'face.jpg');
    const picks = answerPicks(/face-api/, /This image/);
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.compareModels', ckpt);
    const p = panel();
    await p.idle;
    const view = p.lastView;
    assert.ok(view?.mode === 'image', `no image view: ${p.lastFailure?.message}`);
    assert.deepEqual(picks.titles, ['AU Lens: Compare Models (2/3)', 'AU Lens: Compare Models (3/3)']);
    assert.equal(view.target.a.name, 'models/compare-a.ckpt');
    assert.equal(view.target.b.model, BUILTIN_MODEL);
    assert.equal(view.a.report.model.preset, 'tiny64');
    // tiny64's stages and face-api's blocks share no names: first with first, last with last.
    assert.equal(view.layers.by, 'position');
    assert.equal(view.layers.pairs.length, 2);
    assert.ok(view.pairs.some((m) => m.kind === 'au'), 'the AU map is compared');
    assert.ok(view.pairs.filter((m) => m.kind === 'cam').length >= 1, 'CAMs are compared');
    for (const pair of view.pairs) {
      assert.ok(view.a.maps.some((m) => m.id === pair.a) && view.b.maps.some((m) => m.id === pair.b), pair.id);
    }
    const rendered = await poll('the page to draw', () => p.rendered?.mode === 'image' && p.rendered, 60_000);
    assert.equal(rendered.map, view.pairs.filter((m) => m.kind === 'attention').at(-1)!.id, 'deepest attention shown first');

    // "Class explained": both models explain the same class, so AU maps and CAMs compare like with like.
    await p.onMessage(ExplainClassCommand.message({ className: 'happy' }));
    const same = p.lastView;
    assert.ok(same?.mode === 'image');
    assert.deepEqual([same.a.report.explained.class, same.b.report.explained.class, same.note], ['happy', 'happy', null]);
    assert.equal(same.target.className, 'happy');
  });

  it('refuses A = B with a clear error and leaves the panel as it was', async () => {
    const errors = stubWindow('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    const before = panel().lastView;
    await vscode.commands.executeCommand('auLens.compareModels', ckpt, ckpt.fsPath, { mode: 'image', image: workspaceFile('face.jpg').fsPath });
    assert.match(String(errors.calls[0]?.[0]), /A and B are the same model \(models\/compare-a\.ckpt\)/);
    assert.equal(panel().lastView, before);
  });

  it('dataset mode on a few CK+48 images: Δ accuracy, McNemar, Δ ATT-COS, flips; a flip opens the explanation', async function () {
    if (!existsSync(CK48)) this.skip();
    this.timeout(240_000);
    const data = workspaceFile('ck48-few');
    for (const cls of ['happy', 'surprise', 'sad']) {
      const files = (await readdir(path.join(CK48, cls))).filter((f) => f.endsWith('.png')).sort().slice(0, 3);
      await mkdir(path.join(data.fsPath, cls), { recursive: true });
      for (const f of files) await cp(path.join(CK48, cls, f), path.join(data.fsPath, cls, f));
    }
    const picks = answerPicks(/A dataset folder/, /ck48-few/);
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.compareModels', ckpt, BUILTIN_MODEL);
    const p = panel();
    await p.idle;
    const view = p.lastView;
    assert.ok(view?.mode === 'dataset', `no dataset view: ${p.lastFailure?.message}`);
    const c = view.comparison;
    assert.equal(c.n + view.unpaired, 9);
    assert.ok(c.n >= 6, `${c.n} images compared`);
    assert.equal(c.mcnemar.b + c.mcnemar.c <= c.n, true);
    assert.ok(c.deltaAccuracy.low! <= c.deltaAccuracy.value && c.deltaAccuracy.value <= c.deltaAccuracy.high!);
    assert.match(view.reading, /(B is more accurate|A is more accurate|No clear difference in accuracy): [+−±]\d+\.\d points \[.*\], McNemar p [=<] /);
    assert.equal(c.attCos.length, 2, 'first and last layers');
    assert.deepEqual(c.classes, ['happy', 'surprise', 'sad']);
    assert.equal(view.files.a, 'models/eval-ck48-few.json');
    assert.equal(view.files.b, null, 'the built-in model has no run folder');
    const rendered = await poll('the page to draw the tables', () => p.rendered?.mode === 'dataset' && p.rendered);
    assert.equal(rendered.cells, 2 * 4);
    assert.equal(rendered.flips, Math.min(view.flips.length, 200));
    console.log(`    (${view.reading}; ${view.flips.length} flipped)`);

    // Only an image the page was sent: any other path is ignored.
    const shownBefore = api.explainPanel()?.lastView;
    await p.onMessage(ExplainImageCommand.message({ path: '/etc/hostname', side: 'b' }));
    assert.equal(api.explainPanel()?.lastView, shownBefore, 'a path the page was not sent explains nothing');
    const image = view.flips[0]?.path;
    if (image === undefined) return; // no flip to open
    await p.onMessage(ExplainImageCommand.message({ path: image, side: 'b' }));
    const explain = api.explainPanel()!;
    await explain.idle;
    assert.equal(explain.lastView?.target.image, image);
    assert.equal(explain.lastView?.target.model, BUILTIN_MODEL);
  });

  it('cancel: the panel says it was cancelled, no error pops up, and the earlier evaluation file is kept', async function () {
    const data = workspaceFile('ck48-few');
    if (!existsSync(data.fsPath)) this.skip();
    const evalFile = path.join(path.dirname(ckpt.fsPath), 'eval-ck48-few.json');
    const before = await readFile(evalFile, 'utf8');
    // The user presses Cancel on the progress notification as soon as it shows.
    const progress = stubWindow('withProgress', (_options, task) => (task as (p: unknown, t: vscode.CancellationToken) => unknown)(
      { report: () => undefined },
      { isCancellationRequested: true, onCancellationRequested: (listener: () => void) => (setTimeout(listener, 0), { dispose: () => undefined }) } as unknown as vscode.CancellationToken,
    ));
    restore.push(progress.restore);
    const errors = stubWindow('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    await vscode.commands.executeCommand('auLens.compareModels', ckpt, BUILTIN_MODEL, { mode: 'dataset', data: data.fsPath });
    const p = panel();
    await p.idle;
    assert.equal(p.lastFailure?.cancelled, true, p.lastFailure?.message);
    assert.equal(errors.calls.length, 0);
    await sleep(500); // the worker stops at its next batch
    assert.equal(await readFile(evalFile, 'utf8'), before);
  });

  it('a folder without images: the panel says what is wrong', async () => {
    const empty = workspaceFile('empty-data');
    await vscode.workspace.fs.createDirectory(empty);
    const errors = stubWindow('showErrorMessage', () => undefined);
    restore.push(errors.restore);
    await vscode.commands.executeCommand('auLens.compareModels', ckpt, BUILTIN_MODEL, { mode: 'dataset', data: empty.fsPath });
    const p = panel();
    await p.idle;
    assert.ok(p.lastFailure, 'no failure');
    assert.equal(p.lastFailure.cancelled, false);
    assert.ok(p.lastFailure.message.length > 10, p.lastFailure.message);
    assert.match(String(errors.calls.at(-1)?.[0]), /^AU Lens: /);
    console.log(`    (${p.lastFailure.message})`);
  });
});
