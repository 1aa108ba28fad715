/**
 * Sweeps in the real extension host: the Runs view groups a sweep's runs under it, the sweep panel's data and its
 * page's commands, the sweep file's schema (completion and diagnostics through VS Code's JSON service, the relative
 * $refs into run-config.schema.json included), Run Sweep training a two-run sweep here through `au-lens sweep run
 * --local`, and the questions and errors: an unknown axis, an empty axis, over 1,000 runs, no sbatch on the PATH
 * (only this machine offered) and Slurm's own refusal of a partition (a stand-in sbatch on the PATH). Picks and
 * messages are stubbed; the tests share the extension's vscode object.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuLensApi } from '../../src/extension/main';
import type { RunsNode } from '../../src/extension/runs/runNodes';
import { treeItemOf } from '../../src/extension/runs/runsTree';
import { readRunRecord } from '../../src/trainer/train/runLog';
import { CompareRunsCommand, OpenRunCommand, ShowLogCommand } from '../../src/webview/protocol/sweep';
import { writeSweepFixture } from '../helpers/sweepFixture';
import { writeDataset } from '../unit/train/fixtures';
import { poll, stubWindow as stub } from './support/host';

const EXT_ID = 'au-lens.au-lens';
const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

type WhereItem = vscode.QuickPickItem & { where?: string };

describe('Sweeps in the editor', function () {
  this.timeout(240_000);
  let api: AuLensApi;
  const restore: (() => void)[] = [];
  const sweepsDir = (): string => path.join(root(), 'sweeps');
  const writeSweep = async (name: string, json: unknown): Promise<vscode.Uri> => {
    const file = path.join(sweepsDir(), `${name}.au-lens-sweep.json`);
    await mkdir(sweepsDir(), { recursive: true });
    await writeFile(file, JSON.stringify(json, null, 2));
    return vscode.Uri.file(file);
  };
  const sweepNode = async (name: string): Promise<Extract<RunsNode, { kind: 'sweep' }>> => {
    await vscode.commands.executeCommand('auLens.refreshRuns');
    const top = await api.ctx.runs.getChildren();
    const node = top.find((n) => n.kind === 'sweep' && n.sweep.name === name);
    assert.ok(node && node.kind === 'sweep', `no sweep "${name}" in ${top.map((n) => n.kind).join(', ')}`);
    return node;
  };

  before(async () => {
    api = await vscode.extensions.getExtension<AuLensApi>(EXT_ID)!.activate();
  });
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('groups a sweep\'s runs under the sweep in the Runs view, with its progress', async () => {
    await writeSweepFixture(sweepsDir(), {
      name: 'fixture', sweep: { base: { data: '../faces', preset: 'tiny64', epochs: 2 },
        axes: { lambda: [0, 1, 4], seed: [0, 1] } },
      states: { 'l4-s1': 'failed', 'l4-s0': 'not started' },
    });
    const node = await sweepNode('fixture');
    assert.deepEqual(node.runs.map((r) => r.name), ['l0-s0', 'l0-s1', 'l1-s0', 'l1-s1', 'l4-s1']);
    const item = treeItemOf(node);
    assert.equal(item.description, 'sweep · 4/6 done · 1 failed');
    assert.equal(item.contextValue, 'auLens.sweep');
    assert.equal(item.command?.command, 'auLens.showSweep');
    // A sweep's runs are not listed again on their own.
    const top = await api.ctx.runs.getChildren();
    assert.ok(!top.some((n) => n.kind === 'run' && n.run.name === 'l0-s0'));
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as {
      contributes: { menus: Record<string, { command: string; when: string }[]> } };
    for (const menu of ['explorer/context', 'editor/context']) {
      assert.ok(pkg.contributes.menus[menu]!.some((m) => m.command === 'auLens.runSweep'
        && m.when.includes('au-lens-sweep')), menu);
    }
  });

  it('shows the sweep panel: runs × metrics, mean ± sd per λ, and the page\'s Open run, Show Log and Compare', async () => {
    await vscode.commands.executeCommand('auLens.showSweep', await sweepNode('fixture'));
    const panel = await poll('the sweep panel', () => api.sweepPanel());
    const view = await poll('its view', () => panel.lastView);
    assert.equal(view.name, 'fixture');
    assert.deepEqual(view.numericAxes, ['lambda']);
    assert.ok(view.metrics.includes('test.accuracy') && view.metrics.includes('test.camCos.gradcam'));
    assert.deepEqual(view.groups.map((g) => g.runs.length), [2, 2, 2]);
    assert.equal(view.groups[0]!.metrics['test.accuracy']?.n, 2);

    await panel.onMessage(OpenRunCommand.message({ run: 'l0-s0' }));
    const dashboard = await poll('the run\'s dashboard', () => api.dashboardPanel());
    assert.equal(dashboard.shownFolder, path.join(sweepsDir(), 'runs', 'fixture', 'l0-s0'));
    await panel.onMessage(ShowLogCommand.message({ run: 'l4-s1' }));
    await poll('the log', () => vscode.window.activeTextEditor?.document.uri.fsPath.endsWith(
      path.join('l4-s1', 'local.log')));
    // Compare Models opens with both checkpoints and asks what to compare them on.
    const picks = stub('showQuickPick', () => undefined);
    restore.push(picks.restore);
    await panel.onMessage(CompareRunsCommand.message({ a: 'l0-s0', b: 'l4-s0' })); // l4-s0 has no checkpoint
    assert.equal(picks.calls.length, 0);
    await panel.onMessage(CompareRunsCommand.message({ a: 'l0-s0', b: 'l1-s0' }));
    await poll('the compare pick', () => picks.calls.length > 0);
    assert.match(String((picks.calls[0]![1] as vscode.QuickPickOptions).title), /Compare Models/);
  });

  it('completes and checks sweep files with the schema, through its $refs into the run-config schema', async () => {
    const uri = await writeSweep('schema', { base: { data: 'faces', preset: 'tiny65' },
      axes: { lambda: [-1, 4], lamda: [1] } });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const messages = await poll('the schema\'s diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri).map((x) => x.message);
      return d.length >= 3 && d;
    }, 60_000);
    assert.ok(messages.some((m) => /lamda/.test(m) && /not allowed/i.test(m)), messages.join(' | '));
    // These two come from run-config.schema.json: the relative $refs resolve.
    assert.ok(messages.some((m) => /minimum/i.test(m)), messages.join(' | '));
    assert.ok(messages.some((m) => /tiny64/.test(m)), messages.join(' | '));
    const axesAt = doc.positionAt(doc.getText().indexOf('"lambda"'));
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider', uri, axesAt);
    const labels = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.some((l) => l.includes('seed')), labels.join(', '));
  });

  it('names what is wrong with a sweep file before anything runs: an unknown axis, an empty axis', async () => {
    for (const [json, pattern] of [
      [{ base: { data: 'faces' }, axes: { lamda: [0, 1] } }, /unknown setting "lamda" in axes/],
      [{ base: { data: 'faces' }, axes: { lambda: [] } }, /axes\.lambda is empty/],
    ] as const) {
      const errors = stub('showErrorMessage', () => undefined);
      const picks = stub('showQuickPick', () => undefined);
      restore.push(errors.restore, picks.restore);
      await vscode.commands.executeCommand('auLens.runSweep', await writeSweep('bad', json));
      assert.match(String(errors.calls[0]?.[0]), pattern);
      assert.equal(picks.calls.length, 0, 'nothing asked');
      errors.restore();
      picks.restore();
    }
  });

  it('asks before a sweep of more than 1,000 runs, and writes nothing when told no', async () => {
    const uri = await writeSweep('huge', { base: { data: 'faces' }, axes: { seed: Array.from({ length: 1001 }, (_, i) => i) } });
    const warnings = stub('showWarningMessage', () => undefined);
    const picks = stub('showQuickPick', () => undefined);
    restore.push(warnings.restore, picks.restore);
    await vscode.commands.executeCommand('auLens.runSweep', uri);
    assert.match(String(warnings.calls[0]?.[0]), /expands to 1,001 runs \(more than 1,000\)\. Run them all\?/);
    assert.equal(picks.calls.length, 0);
    assert.ok(!existsSync(path.join(sweepsDir(), 'runs', 'huge')));
  });

  it('offers only this machine, and says why, when sbatch is not on the PATH', async () => {
    const empty = path.join(root(), 'empty-bin');
    await mkdir(empty, { recursive: true });
    const saved = process.env['PATH'];
    process.env['PATH'] = empty;
    restore.push(() => (process.env['PATH'] = saved));
    const picks = stub('showQuickPick', () => undefined);
    restore.push(picks.restore);
    await vscode.commands.executeCommand('auLens.runSweep', await writeSweep('nosbatch',
      { base: { data: 'faces' }, axes: { seed: [0] } }));
    const [items, options] = picks.calls[0] as [WhereItem[], vscode.QuickPickOptions];
    assert.deepEqual(items.map((i) => i.where), ['local']);
    assert.match(String(options.placeHolder), /Slurm is not offered: sbatch is not on this machine's PATH/);
  });

  it('shows Slurm\'s own error when sbatch refuses the partition', async () => {
    const bin = path.join(root(), 'fake-slurm-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'sbatch'), '#!/bin/sh\necho "sbatch: error: invalid partition specified: nope" >&2\n' +
      'exit 1\n');
    await writeFile(path.join(bin, 'scontrol'), '#!/bin/sh\nexit 1\n');
    for (const f of ['sbatch', 'scontrol']) await chmod(path.join(bin, f), 0o755);
    const saved = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path.dirname(process.execPath)}`;
    restore.push(() => (process.env['PATH'] = saved));
    const picks = stub('showQuickPick', (items: unknown) => (items as WhereItem[]).find((i) => i.where === 'slurm'));
    const box = stub('showInputBox', () => '--partition nope');
    const errors = stub('showErrorMessage', () => undefined);
    restore.push(picks.restore, box.restore, errors.restore);
    await vscode.commands.executeCommand('auLens.runSweep', await writeSweep('slurmbad',
      { base: { data: 'faces', epochs: 1 }, axes: { seed: [0, 1] } }));
    const message = errors.calls.map((c) => String(c[0])).join(' | ');
    assert.match(message, /sweep "slurmbad": Slurm refused the job: sbatch: error: invalid partition specified: nope/);
    assert.equal(api.sweeps.ended.at(-1)?.where, 'slurm');
  });

  it('runs a two-run sweep on this machine from the file\'s context menu, with progress, to completion', async () => {
    await writeDataset(path.join(root(), 'sweep-faces'), { classes: ['happy', 'sad', 'surprise'], subjects: 8 });
    const uri = await writeSweep('local', { base: { data: '../sweep-faces', preset: 'tiny64', epochs: 1, batch: 8,
      threads: 1 }, axes: { seed: [0, 1] }, evaluate: false });
    await vscode.workspace.getConfiguration('auLens.sweeps').update('parallel', 1, vscode.ConfigurationTarget.Workspace);
    restore.push(() => void vscode.workspace.getConfiguration('auLens.sweeps').update('parallel', undefined,
      vscode.ConfigurationTarget.Workspace));
    const picks = stub('showQuickPick', (items: unknown) => (items as WhereItem[]).find((i) => i.where === 'local'));
    const infos = stub('showInformationMessage', () => undefined);
    restore.push(picks.restore, infos.restore);
    await vscode.commands.executeCommand('auLens.runSweep', uri);
    const result = api.sweeps.ended.at(-1)!;
    assert.equal(result.error, undefined);
    assert.deepEqual([result.where, result.cancelled, result.status?.counts.completed], ['local', false, 2]);
    for (const run of ['s0', 's1']) {
      const record = await readRunRecord(path.join(sweepsDir(), 'runs', 'local', run));
      assert.equal(record?.status, 'completed', record?.error);
    }
    assert.match(String(infos.calls.at(-1)?.[0]), /sweep "local" ended: 2\/2 done/);
    const node = await sweepNode('local');
    assert.equal(treeItemOf(node).description, 'sweep · 2/2 done');
  });

  it('cancels a local sweep: its run saves last.ckpt and stops, and Run Sweep again resumes it', async () => {
    const uri = await writeSweep('stop', { base: { data: '../sweep-faces', preset: 'tiny64', epochs: 30, batch: 4,
      threads: 1 }, axes: { seed: [0] }, evaluate: false });
    const picks = stub('showQuickPick', (items: unknown) => (items as WhereItem[]).find((i) => i.where === 'local'));
    const infos = stub('showInformationMessage', () => undefined);
    restore.push(picks.restore, infos.restore);
    const running = vscode.commands.executeCommand('auLens.runSweep', uri);
    const folder = path.join(sweepsDir(), 'runs', 'stop', 's0');
    await poll('a training step', () => existsSync(path.join(folder, 'progress.jsonl'))
      && api.sweeps.isRunning(path.join(sweepsDir(), 'runs', 'stop')), 120_000);
    await poll('the first checkpoint', () => existsSync(path.join(folder, 'last.ckpt')), 120_000);
    assert.ok(api.sweeps.cancel(path.join(sweepsDir(), 'runs', 'stop')));
    await running;
    const result = api.sweeps.ended.at(-1)!;
    assert.deepEqual([result.cancelled, result.error], [true, undefined]);
    assert.equal((await readRunRecord(folder))?.status, 'cancelled');
    assert.match(String(infos.calls.at(-1)?.[0]), /sweep "stop" stopped .*Run Sweep again resumes/);
  });
});
