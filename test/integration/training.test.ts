/**
 * Training from the editor in the real extension host: the Train Model quick picks (played by fake quick inputs,
 * since the tests share the extension's vscode object), a one-epoch tiny64 run on a small synthetic data set in the
 * throwaway workspace, the dashboard, cancel and resume through the commands, a bad run-config file, and an
 * interrupted run found after a "reload". The webview's DOM is out of reach: the tests read what the host sent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuLensApi } from '../../src/extension/main';
import { readProgress, readRunRecord, writeRunRecord } from '../../src/trainer/train/runLog';
import { syntheticPng, writeDataset } from '../unit/train/fixtures';

const EXT_ID = 'au-lens.au-lens';

/** RAF-DB basic codes: 1 surprise, 4 happy, 5 sad. */
const RAF_CODES: Readonly<Record<string, number>> = { surprise: 1, happy: 4, sad: 5 };

/** A RAF-DB-shaped folder of synthetic faces (8 per class, every third a test image); its test images' ids. */
async function writeRafDb(root: string): Promise<{ root: string; test: string[] }> {
  const lines: string[] = [];
  const test: string[] = [];
  let n = 0;
  for (const [label, code] of Object.entries(RAF_CODES)) {
    for (let k = 0; k < 8; k++) {
      const part = n % 3 === 2 ? 'test' : 'train';
      const name = `${part}_${String(++n).padStart(5, '0')}`;
      const rel = `Image/aligned/${name}_aligned.jpg`;
      await mkdir(path.join(root, 'Image', 'aligned'), { recursive: true });
      // PNG bytes under RAF-DB's .jpg name: images are decoded by content.
      await writeFile(path.join(root, ...rel.split('/')), await syntheticPng(label, 300 + n));
      lines.push(`${name}.jpg ${code}`);
      if (part === 'test') test.push(rel);
    }
  }
  await mkdir(path.join(root, 'EmoLabel'), { recursive: true });
  await writeFile(path.join(root, 'EmoLabel', 'list_patition_label.txt'), `${lines.join('\n')}\n`);
  return { root, test };
}

/** A FER2013-shaped folder: fer2013.csv with a few 48×48 rows of each usage. */
async function writeFer2013(root: string): Promise<string> {
  const rows = Array.from({ length: 9 }, (_, i) =>
    `${i % 7},${Array.from({ length: 48 * 48 }, (_, p) => (p * (i + 3)) % 256).join(' ')},${['Training', 'PublicTest', 'PrivateTest'][i % 3]}`);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'fer2013.csv'), `emotion,pixels,Usage\n${rows.join('\n')}\n`);
  return root;
}
const workspaceRoot = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

async function waitFor<T>(what: string, probe: () => T | undefined | false, seconds = 90): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Listener<T> = (e: T) => unknown;

/** Just enough of a QuickPick / InputBox for the wizard: the test answers each step when it is shown. */
class FakeInput {
  title: string | undefined;
  step: number | undefined;
  totalSteps: number | undefined;
  placeholder = '';
  prompt = '';
  value = '';
  validationMessage: string | undefined;
  ignoreFocusOut = false;
  canSelectMany = false;
  matchOnDescription = false;
  matchOnDetail = false;
  buttons: readonly vscode.QuickInputButton[] = [];
  items: readonly vscode.QuickPickItem[] = [];
  activeItems: readonly vscode.QuickPickItem[] = [];
  selectedItems: readonly vscode.QuickPickItem[] = [];
  private readonly listeners = { accept: [] as Listener<void>[], hide: [] as Listener<void>[], button: [] as Listener<vscode.QuickInputButton>[], value: [] as Listener<string>[] };

  constructor(private readonly onShow: (input: FakeInput) => void) {}

  onDidAccept = (l: Listener<void>): vscode.Disposable => this.on('accept', l);
  onDidHide = (l: Listener<void>): vscode.Disposable => this.on('hide', l);
  onDidTriggerButton = (l: Listener<vscode.QuickInputButton>): vscode.Disposable => this.on('button', l);
  onDidChangeValue = (l: Listener<string>): vscode.Disposable => this.on('value', l);
  show(): void {
    setTimeout(() => this.onShow(this), 0);
  }
  dispose(): void {}
  accept(): void {
    for (const l of this.listeners.accept) l();
  }
  back(): void {
    for (const l of this.listeners.button) l(vscode.QuickInputButtons.Back);
  }
  private on<K extends keyof FakeInput['listeners']>(kind: K, l: FakeInput['listeners'][K][number]): vscode.Disposable {
    (this.listeners[kind] as unknown[]).push(l);
    return { dispose: () => undefined };
  }
}

/** Replaces createQuickPick and createInputBox: each shown input goes to the next answer. */
function playQuickInputs(answers: ((input: FakeInput) => void)[]): { shown: FakeInput[]; restore(): void } {
  const window = vscode.window as unknown as Record<string, unknown>;
  const originals = { pick: window['createQuickPick'], box: window['createInputBox'] };
  const shown: FakeInput[] = [];
  const make = (): FakeInput => new FakeInput((input) => {
    shown.push(input);
    const answer = answers.shift();
    assert.ok(answer, `no answer for step ${input.step}: ${input.placeholder || input.prompt}`);
    answer(input);
  });
  window['createQuickPick'] = make;
  window['createInputBox'] = make;
  return { shown, restore: () => { window['createQuickPick'] = originals.pick; window['createInputBox'] = originals.box; } };
}

/** Replaces a notification function; its calls are recorded and answered with `answer`. */
function captureMessages(name: 'showErrorMessage' | 'showWarningMessage' | 'showInformationMessage', answer?: string): { calls: string[]; restore(): void } {
  const window = vscode.window as unknown as Record<string, unknown>;
  const original = window[name];
  const calls: string[] = [];
  window[name] = (message: string) => {
    calls.push(message);
    return Promise.resolve(answer);
  };
  return { calls, restore: () => { window[name] = original; } };
}

const pickWhere = (test: (item: vscode.QuickPickItem & { value?: unknown }) => boolean) => (input: FakeInput): void => {
  const item = input.items.find(test);
  assert.ok(item, `no such item at step ${input.step}: ${input.items.map((i) => i.label).join(', ')}`);
  input.selectedItems = [item];
  input.accept();
};
const acceptDefault = (input: FakeInput): void => input.accept();
const typeValue = (value: string) => (input: FakeInput): void => {
  input.value = value;
  input.accept();
};

describe('Training from the editor', function () {
  this.timeout(240_000);
  let api: AuLensApi;
  let data = '';
  const restore: (() => void)[] = [];

  before(async () => {
    api = await vscode.extensions.getExtension<AuLensApi>(EXT_ID)!.activate();
    data = await writeDataset(path.join(workspaceRoot(), 'faces'), { classes: ['happy', 'sad', 'surprise'], subjects: 8 });
  });
  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('trains one epoch of tiny64 through the quick picks (Back keeps the answers), with the dashboard beside', async () => {
    restore.push(captureMessages('showInformationMessage').restore);
    let refusal: string | undefined;
    let nameRefusal: string | undefined;
    await mkdir(path.join(workspaceRoot(), 'runs', 'taken'), { recursive: true });
    const quick = playQuickInputs([
      pickWhere((i) => i.value === data),
      acceptDefault, // tiny64
      pickWhere((i) => i.value === 1), // λ = 1
      (input) => input.back(), // layers → back to λ
      acceptDefault, // λ keeps 1
      acceptDefault, // the preset's default layer
      (input) => {
        typeValue('0')(input); // refused: the box stays open with the reason
        refusal = input.validationMessage;
        typeValue('1')(input);
      },
      (input) => {
        typeValue('taken')(input); // a run folder that exists: refused, the box stays open
        nameRefusal = input.validationMessage;
        typeValue('itest-quick')(input);
      },
      acceptDefault, // Start training
    ]);
    restore.push(quick.restore);
    await vscode.commands.executeCommand('auLens.trainModel');
    assert.deepEqual(quick.shown.map((s) => `${s.step}/${s.totalSteps}`), ['1/7', '2/7', '3/7', '4/7', '3/7', '4/7', '5/7', '6/7', '7/7']);
    assert.equal(quick.shown[0]!.buttons.length, 0, 'no Back on the first step');
    assert.equal(quick.shown[1]!.buttons[0], vscode.QuickInputButtons.Back);
    assert.ok(quick.shown[4]!.activeItems.some((i) => i.label === 'λ = 1'), 'Back shows the answer given');
    assert.match(refusal ?? '', /whole number of epochs/);
    assert.match(nameRefusal ?? '', /runs\/taken already exists: choose another name/);

    const folder = path.join(workspaceRoot(), 'runs', 'itest-quick');
    const record = await readRunRecord(folder);
    assert.equal(record?.status, 'completed', record?.error);
    assert.deepEqual(record?.epochs, { done: 1, total: 1 });
    assert.equal(record?.options?.batch, 8, 'a batch that fits 24 images');
    assert.deepEqual(record?.options && { preset: record.options.preset, lambda: record.options.lambda, layers: record.options.layers }, { preset: 'tiny64', lambda: 1, layers: ['stage3'] });
    assert.ok(existsSync(path.join(folder, 'best.ckpt')));
    const { events } = await readProgress(folder);
    assert.ok(events.some((e) => e.type === 'epoch'), 'progress.jsonl has the epoch');
    assert.deepEqual(api.training.ended.at(-1), { folder, outcome: { status: 'completed', last: path.join(folder, 'last.ckpt'), best: path.join(folder, 'best.ckpt'), bestEpoch: 1, epochs: 1 } });

    const dashboard = await waitFor('the dashboard', () => api.dashboardPanel());
    assert.equal(dashboard.shownFolder, folder);
    const snapshot = await waitFor('the dashboard\'s data', () => (dashboard.lastUpdate?.run.status === 'completed' ? dashboard.lastUpdate : dashboard.lastSnapshot?.run.status === 'completed' && dashboard.lastSnapshot));
    assert.equal(snapshot.run.canCancel, false);
    assert.match(snapshot.run.device ?? '', /^CPU/, 'the dashboard names the device the run trained on');
    assert.equal(api.training.current, undefined);
  });

  it('offers a RAF-DB- and a FER2013-shaped folder as datasets, and trains on RAF-DB\'s official split', async () => {
    restore.push(captureMessages('showInformationMessage').restore);
    const raf = await writeRafDb(path.join(workspaceRoot(), 'datasets', 'RAF-DB', 'basic'));
    const fer = await writeFer2013(path.join(workspaceRoot(), 'datasets', 'fer'));
    let offered: readonly (vscode.QuickPickItem & { value?: unknown })[] = [];
    const quick = playQuickInputs([
      (input) => {
        offered = input.items;
        pickWhere((i) => i.value === raf.root)(input);
      },
      acceptDefault, acceptDefault, acceptDefault, // tiny64, λ = 4, the last stage
      typeValue('1'),
      typeValue('itest-rafdb'),
      acceptDefault,
    ]);
    restore.push(quick.restore);
    await vscode.commands.executeCommand('auLens.trainModel');
    const rafItem = offered.find((i) => i.value === raf.root);
    const ferItem = offered.find((i) => i.value === fer);
    assert.match(rafItem?.detail ?? '', /^RAF-DB basic, aligned faces · official train\/test split · 24 images$/);
    assert.match(ferItem?.detail ?? '', /^FER2013, 48×48 rows of fer2013\.csv · official train\/test split$/);
    assert.ok(!offered.some((i) => i.value === path.join(raf.root, 'Image')), 'RAF-DB\'s Image/ is no class-folder dataset');
    assert.ok(offered.indexOf(rafItem!) < offered.findIndex((i) => i.value === data), 'named datasets first');

    const folder = path.join(workspaceRoot(), 'runs', 'itest-rafdb');
    const record = await readRunRecord(folder);
    assert.equal(record?.status, 'completed', record?.error);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { layout: string; splitMode: string; samples: { relPath: string; split: string | null }[] };
    assert.deepEqual([manifest.layout, manifest.splitMode], ['rafdb-aligned', 'official']);
    assert.deepEqual(manifest.samples.filter((x) => x.split === 'test').map((x) => x.relPath).sort(), raf.test.sort());
  });

  it('cancels a run from a run-config file mid-run, keeps its checkpoint; the same config offers to resume it', async () => {
    restore.push(captureMessages('showInformationMessage').restore);
    const config = path.join(workspaceRoot(), 'itest-cancel.au-lens-run.json');
    await writeFile(config, JSON.stringify({ data: 'faces', preset: 'tiny64', lambda: 4, epochs: 8, batch: 4 }));
    const first = vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(config));
    const folder = path.join(workspaceRoot(), 'runs', 'itest-cancel');
    await waitFor('the second epoch', () => api.training.current?.progress.phase === 'training' && api.training.current.progress.epoch === 2);
    await vscode.commands.executeCommand('auLens.cancelTraining');
    await first;
    assert.equal(api.training.ended.at(-1)?.outcome?.status, 'cancelled');
    const cancelled = await readRunRecord(folder);
    assert.equal(cancelled?.status, 'cancelled');
    const best = await readFile(path.join(folder, 'best.ckpt'));

    // Run the config again: its folder holds the cancelled run, which is offered for resuming.
    const offer = captureMessages('showWarningMessage', 'Resume');
    restore.push(offer.restore);
    await vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(config));
    assert.match(offer.calls[0] ?? '', /itest-cancel already holds a run \(cancelled, \d\/8 epochs\)\. Resume it, or change "out"/);
    assert.equal(api.training.ended.at(-1)?.outcome?.status, 'completed');
    const done = await readRunRecord(folder);
    assert.equal(done?.status, 'completed');
    assert.deepEqual(done?.epochs, { done: 8, total: 8 });
    assert.equal(done?.settings.lambda, 4, 'a resumed run keeps the settings it started with');
    assert.ok(existsSync(path.join(folder, 'best.ckpt')) && best.length > 0);

    // Once more: a finished run is not offered for resuming, and nothing starts.
    offer.restore();
    const finished = captureMessages('showWarningMessage');
    restore.push(finished.restore);
    const runs = api.training.ended.length;
    await vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(config));
    assert.match(finished.calls[0] ?? '', /already holds a run \(completed, 8\/8 epochs\)\. To train a new run, change "out"/);
    assert.equal(api.training.ended.length, runs, 'a second run started over the finished one');
  });

  it('trains one run at a time: starting a second asks, and "Cancel It and Start" cancels the first', async () => {
    restore.push(captureMessages('showInformationMessage').restore);
    const asked = captureMessages('showWarningMessage', 'Cancel It and Start');
    restore.push(asked.restore);
    const first = path.join(workspaceRoot(), 'itest-first.au-lens-run.json');
    const second = path.join(workspaceRoot(), 'itest-second.au-lens-run.json');
    await writeFile(first, JSON.stringify({ data: 'faces', epochs: 500, batch: 4 }));
    await writeFile(second, JSON.stringify({ data: 'faces', epochs: 1, batch: 4 }));
    const running = vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(first));
    await waitFor('the first run to train', () => api.training.current?.progress.phase === 'training');
    await vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(second));
    await running;
    assert.match(asked.calls[0] ?? '', /AU Lens is training itest-first\. Only one run trains at a time/);
    assert.deepEqual(api.training.ended.slice(-2).map((e) => [path.basename(e.folder), e.outcome?.status]), [['itest-first', 'cancelled'], ['itest-second', 'completed']]);
  });

  it('refuses a run-config file with a bad setting, naming it, and starts nothing', async () => {
    const errors = captureMessages('showErrorMessage');
    restore.push(errors.restore);
    const config = path.join(workspaceRoot(), 'itest-bad.au-lens-run.json');
    await writeFile(config, JSON.stringify({ data: 'faces', lamda: 4 }));
    await vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(config));
    assert.match(errors.calls[0] ?? '', /itest-bad\.au-lens-run\.json: unknown setting "lamda"/);
    assert.ok(!existsSync(path.join(workspaceRoot(), 'runs', 'itest-bad')));
    await writeFile(config, JSON.stringify({ data: 'faces', batch: 1 }));
    await vscode.commands.executeCommand('auLens.trainModel', vscode.Uri.file(config));
    await waitFor('the failure notification', () => errors.calls.length > 1);
    assert.match(errors.calls[1] ?? '', /"batch" must be at least 2/);
  });

  it('marks a run whose window closed mid-run as interrupted and offers to resume it', async () => {
    const warnings = captureMessages('showWarningMessage');
    restore.push(warnings.restore);
    const folder = path.join(workspaceRoot(), 'runs', 'itest-cancel');
    const record = (await readRunRecord(folder))!;
    // A pid that is not alive: the extension host that trained it is gone.
    await writeRunRecord(folder, { ...record, status: 'running', pid: 2 ** 22 + 12345 });
    const found = await api.training.recoverInterrupted();
    assert.deepEqual(found.map((r) => r.name), ['itest-cancel']);
    assert.equal((await readRunRecord(folder))?.status, 'interrupted');
    assert.match(warnings.calls[0] ?? '', /training itest-cancel was interrupted after 8 of 8 epochs/);
  });

  it('a run left "running" by a window still exiting is offered once that window\'s process is gone', async function () {
    this.timeout(60_000);
    const warnings = captureMessages('showWarningMessage');
    restore.push(warnings.restore);
    const folder = path.join(workspaceRoot(), 'runs', 'itest-cancel');
    const record = (await readRunRecord(folder))!;
    // The old window's extension host: alive for a few seconds more after the reload.
    const oldHost = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => oldHost.once('exit', resolve));
    await writeRunRecord(folder, { ...record, status: 'running', pid: oldHost.pid! });
    assert.deepEqual(await api.training.recoverInterrupted(), [], 'its process still runs');
    assert.equal((await readRunRecord(folder))?.status, 'running');
    await exited;
    await waitFor('the run offered after its process exited', () => warnings.calls.length > 0, 30);
    assert.match(warnings.calls[0] ?? '', /training itest-cancel was interrupted after 8 of 8 epochs/);
    assert.equal((await readRunRecord(folder))?.status, 'interrupted');
  });
});
