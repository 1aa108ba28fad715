/**
 * "AU Lens: Train Model" as quick picks: data folder, network, λ, layers, epochs, run name, then start (and/or
 * save the settings as a run-config file). Every step has a default, so Enter all the way trains the paper's
 * setting on the first data folder found; Back returns to the previous step with its answer kept.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PresetInfo } from '../../trainer/models/modelInfo';
import { isVitName } from '../../trainer/models/modelNames';
import { presetInfo } from '../../trainer/models/presets';
import { classAttentionBlock, ROLLOUT_LAYER } from '../../trainer/models/vitPresets';
import { RUN_CONFIG_SUFFIX, runConfigOf } from '../../trainer/train/runConfig';
import type { TrainRequest } from '../../trainer/train/trainRequest';
import { TRAIN_DEFAULTS } from '../../trainer/train/trainDefaults';
import { findWorkspaceDatasets, findWorkspaceRunConfigs } from '../workspaceFiles';
import { describeGuess } from './datasetGuess';
import type { Answer, Step } from './quickInput';
import { BACK, inputText, pickMany, pickOne } from './quickInput';

const TITLE = 'AU Lens: Train Model';

export type WizardResult =
  | { readonly kind: 'train'; readonly request: TrainRequest; readonly name: string }
  | { readonly kind: 'config'; readonly file: vscode.Uri };

interface Answers {
  data?: string;
  /** Images in the data folder, when the workspace scan counted them. */
  images?: number;
  preset?: string;
  lambda?: number;
  layers?: readonly string[];
  epochs?: number;
  name?: string;
}

type Item<T> = vscode.QuickPickItem & { readonly value: T };

const PRESETS: readonly Item<string>[] = [
  { label: 'tiny64', description: '64 px · fastest', detail: 'A small ResNet: seconds per epoch on CK+48. The default.',
    value: 'tiny64' },
  { label: 'small96', description: '96 px · about 3× slower', detail: 'A wider small ResNet.', value: 'small96' },
  { label: 'resnet18', description: '112 px · slow on CPU', detail: 'torchvision\'s ResNet-18 with large maps.',
    value: 'resnet18' },
  { label: 'resnet50', description: '224 px · very slow on CPU', detail: 'torchvision\'s ResNet-50 with large maps.',
    value: 'resnet50' },
  { label: 'vit64', description: '64 px · minutes per epoch',
    detail: 'A small vision transformer (8×8 patches of 8 px, 6 blocks): AU guidance on its token grid.',
    value: 'vit64' },
  { label: 'deit-tiny', description: '224 px · very slow on CPU',
    detail: 'timm\'s DeiT-Tiny; start from ImageNet weights with "init" (an ONNX export) in the run config.',
    value: 'deit-tiny' },
  { label: 'deit-small', description: '224 px · very slow on CPU',
    detail: 'timm\'s DeiT-Small, the reference\'s TS-CAM backbone; "init" as for deit-tiny.', value: 'deit-small' },
  { label: 'faceapi-expression', description: '112 px · fine-tune',
    detail: 'Starts from face-api\'s pretrained expression network (MIT).', value: 'faceapi-expression' },
];

const LAMBDAS: readonly Item<number | null>[] = [
  { label: 'λ = 4', description: 'default', detail: 'AU guidance at the CK+48 science check\'s best weight.',
    value: 4 },
  { label: 'λ = 1', description: 'lighter guidance', value: 1 },
  { label: 'λ = 0', description: 'cross-entropy baseline', detail: 'No AU alignment: the baseline to compare against.',
    value: 0 },
  { label: 'Custom…', description: 'any weight ≥ 0', value: null },
];

const stamp = (d: Date): string => {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
};

export function defaultRunName(preset: string, lambda: number, now: Date): string {
  return `${preset}-l${lambda}-${stamp(now)}`;
}

/**
 * A layer's shape and what it is: a ViT's layers are of three kinds with different channel meanings (features,
 * heads, one rollout map), which the shape alone does not tell apart.
 */
function layerDescription(preset: string, info: PresetInfo, layer: string): string {
  const [channels, h, w] = info.layerShapes[layer]!;
  const grid = `${h}×${w}`;
  if (!isVitName(preset)) return `${grid} map`;
  if (layer === ROLLOUT_LAYER) return `${grid} attention rollout of all blocks`;
  if (classAttentionBlock(layer) !== undefined) return `${grid} class-token attention, ${channels} heads`;
  return `${grid} token grid, ${channels} channels`;
}

function validRunName(root: vscode.Uri, name: string): string | undefined {
  if (name.trim() === '') return 'Give the run a name: its folder is runs/<name>';
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return 'Use letters, digits, ".", "-" and "_" only (it ' +
    'becomes a folder name)';
  // Checked here rather than by the trainer, so the user can pick another name without starting over.
  if (existsSync(vscode.Uri.joinPath(root, 'runs', name).fsPath)) {
    return `runs/${name} already exists: choose another name (AU Lens: Resume Training… continues a run)`;
  }
  return undefined;
}

/**
 * The batch for a data folder of `images` images: the trainer's default, made smaller for a small folder so the
 * training split (about 70 % of it) still gives two batches an epoch; a power of two, at least 2.
 */
export function defaultBatch(images: number | undefined): number {
  if (images === undefined) return TRAIN_DEFAULTS.batch;
  const fits = Math.min(TRAIN_DEFAULTS.batch, (0.7 * images) / 2);
  return Math.max(2, 2 ** Math.floor(Math.log2(Math.max(1, fits))));
}

export function validEpochs(text: string): string | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 10_000
    ? undefined : 'A whole number of epochs from 1 to 10000';
}

function validLambda(text: string): string | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n >= 0
    ? undefined : 'A number ≥ 0 (0 trains the cross-entropy baseline)';
}

type DataItem = Item<string | 'browse' | 'config'> & { readonly images?: number };

async function dataItems(): Promise<DataItem[]> {
  const configs = await findWorkspaceRunConfigs(1);
  const found = (await findWorkspaceDatasets()).slice(0, 20);
  return [
    ...found.map((d): DataItem => ({
      label: `$(${d.layout === 'image-folder' ? 'folder' : 'database'}) ${path.basename(d.folder)}`,
      description: vscode.workspace.asRelativePath(d.folder), detail: describeGuess(d), value: d.folder,
      ...(d.images !== undefined && { images: d.images }),
    })),
    { label: '$(folder-opened) Browse…', description: 'a dataset folder: RAF-DB, FER2013, AffectNet, or one ' +
      'sub-folder per class', value: 'browse' },
    { label: '$(file-code) Run a config file…', description: configs.length > 0
      ? `a workspace *${RUN_CONFIG_SUFFIX} file` : `none in this workspace yet`, value: 'config' },
  ];
}

async function browseData(): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const picked = await vscode.window.showOpenDialog({
    title: `${TITLE}: data folder (RAF-DB, FER2013, AffectNet, or one sub-folder per class: happy/, sad/, …)`,
    canSelectFiles: false,
    canSelectFolders: true, canSelectMany: false,
    ...(folder && { defaultUri: folder }),
  });
  return picked?.[0]?.fsPath;
}

async function pickConfigFile(): Promise<vscode.Uri | undefined> {
  const files = await findWorkspaceRunConfigs(200);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`AU Lens: no *${RUN_CONFIG_SUFFIX} file in this workspace. Run the ` +
      `quick picks once and save the settings as one, or write one (the editor completes its settings).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(files.map((uri) => ({ label: path.basename(uri.fsPath),
    description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })),
    { title: `${TITLE}: run config`, placeHolder: 'The run-config file to train' });
  return picked?.uri;
}

/** Writes the settings as `<workspace>/<name>.au-lens-run.json` and opens it. */
async function saveConfig(root: vscode.Uri, request: TrainRequest, name: string): Promise<vscode.Uri> {
  const file = vscode.Uri.joinPath(root, `${name}${RUN_CONFIG_SUFFIX}`);
  const config = runConfigOf(request, root.fsPath);
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  await vscode.window.showTextDocument(file, { preview: false });
  return file;
}

/** Asks for a run's settings; undefined when the user escapes. */
export async function runTrainingWizard(root: vscode.Uri, now = new Date()): Promise<WizardResult | undefined> {
  const a: Answers = {};
  const total = 7;
  const step = (n: number): Step => ({ title: TITLE, step: n, totalSteps: total });
  let n = 1;
  let start: Item<'start' | 'save-start' | 'save'> | undefined;
  while (n <= total) {
    let answer: Answer<unknown>;
    switch (n) {
      case 1: {
        const items = await dataItems();
        const picked = await pickOne(step(1), items,
          'The training data: RAF-DB, FER2013, AffectNet, or a folder with one sub-folder per class',
          items.find((i) => i.value === a.data));
        if (picked === undefined || picked === BACK) return undefined;
        if (picked.value === 'config') {
          const file = await pickConfigFile();
          return file ? { kind: 'config', file } : undefined;
        }
        const data = picked.value === 'browse' ? await browseData() : picked.value;
        if (data === undefined) continue;
        a.data = data;
        a.images = picked.value === 'browse' ? undefined : picked.images;
        answer = data;
        break;
      }
      case 2: {
        const picked = await pickOne(step(2), PRESETS, 'The network (input size · rough speed)',
          PRESETS.find((p) => p.value === (a.preset ?? TRAIN_DEFAULTS.model)));
        answer = picked;
        if (picked !== undefined && picked !== BACK) {
          if (picked.value !== a.preset) a.layers = undefined;
          a.preset = picked.value;
        }
        break;
      }
      case 3: {
        const current = LAMBDAS.find((l) => l.value === (a.lambda ?? TRAIN_DEFAULTS.lambda))
          ?? LAMBDAS[LAMBDAS.length - 1];
        const picked = await pickOne(step(3), LAMBDAS, 'λ, the weight of the AU alignment term', current);
        answer = picked;
        if (picked === undefined || picked === BACK) break;
        if (picked.value !== null) {
          a.lambda = picked.value;
          break;
        }
        const text = await inputText(step(3),
          { value: String(a.lambda ?? TRAIN_DEFAULTS.lambda),
            prompt: 'λ: 0 trains the cross-entropy baseline; the paper uses values around 1–4',
            validate: validLambda });
        answer = text;
        if (typeof text === 'string') a.lambda = Number(text);
        break;
      }
      case 4: {
        const preset = a.preset ?? TRAIN_DEFAULTS.model;
        const info = presetInfo(preset);
        const items: Item<string>[] = info.layers.map((l) => ({ label: l,
          description: `${layerDescription(preset, info, l)}${l === info.defaultLayer ? ' · default' : ''}`,
          value: l }));
        const chosen = a.layers ?? [info.defaultLayer];
        const picked = await pickMany(step(4), items,
          'The layers whose attention is aligned with the AU maps (Space toggles)',
          items.filter((i) => chosen.includes(i.value)));
        answer = picked;
        if (picked !== undefined && picked !== BACK) a.layers = picked.map((p) => p.value);
        break;
      }
      case 5: {
        const text = await inputText(step(5),
          { value: String(a.epochs ?? TRAIN_DEFAULTS.epochs),
            prompt: 'Epochs to train (a run can be resumed and extended later)', validate: validEpochs });
        answer = text;
        if (typeof text === 'string') a.epochs = Number(text);
        break;
      }
      case 6: {
        const value = a.name ?? defaultRunName(a.preset ?? TRAIN_DEFAULTS.model, a.lambda ?? TRAIN_DEFAULTS.lambda,
          now);
        const text = await inputText(step(6),
          { value, prompt: 'Run name: the run folder is runs/<name> in the workspace',
            validate: (v) => validRunName(root, v) });
        answer = text;
        if (typeof text === 'string') a.name = text;
        break;
      }
      default: {
        const items: Item<'start' | 'save-start' | 'save'>[] = [
          { label: '$(play) Start training', description: `runs/${a.name} · batch ${defaultBatch(a.images)}`,
            value: 'start' },
          { label: '$(save) Save as run config and start', description: `${a.name}${RUN_CONFIG_SUFFIX}`,
            value: 'save-start' },
          { label: '$(save) Save as run config only',
            description: 'edit it, then right-click it → AU Lens: Train Model', value: 'save' },
        ];
        const picked = await pickOne(step(7), items, 'Start the run', items[0]);
        answer = picked;
        if (picked !== undefined && picked !== BACK) start = picked;
      }
    }
    if (answer === undefined) return undefined;
    n = answer === BACK ? Math.max(1, n - 1) : n + 1;
  }
  const name = a.name!;
  const request: TrainRequest = {
    data: a.data!, out: vscode.Uri.joinPath(root, 'runs', name).fsPath, preset: a.preset ?? TRAIN_DEFAULTS.model,
    ...(a.preset === 'faceapi-expression' && { init: 'faceapi-expression' }),
    lambda: a.lambda ?? TRAIN_DEFAULTS.lambda, ...(a.layers && { layers: a.layers }),
    epochs: a.epochs ?? TRAIN_DEFAULTS.epochs,
    batch: defaultBatch(a.images),
  };
  if (start?.value !== 'start') {
    const file = await saveConfig(root, request, name);
    if (start?.value === 'save') return undefined;
    return { kind: 'config', file };
  }
  return { kind: 'train', request, name };
}
