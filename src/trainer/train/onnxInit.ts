/**
 * Pretrained weights from an ONNX file (`au-lens train --init FILE.onnx`, run configs' `init`): a timm or
 * torchvision network exported with torch.onnx.export, whose initializers are mapped onto a preset's parameters by
 * name (ImageNet-pretrained ResNets and DeiTs, as the reference implementation starts from). The file's classifier
 * is dropped (its classes are ImageNet's), so the run's head is drawn fresh; everything else must match exactly,
 * and a refusal names the first tensor missing, mis-shaped or left over.
 *
 * torch.onnx.export renames what it touches, which is undone here:
 * - a Linear applied to 3-D tokens becomes MatMul(x, Wᵀ) + b with Wᵀ folded into a new initializer
 *   ('onnx::MatMul_123'): W is recovered under the name its bias gives ('blocks.0.attn.qkv.bias' → '….weight',
 *   'in_proj_bias' → 'in_proj_weight');
 * - equal initializers are stored once and re-read through Identity nodes named after the others;
 * - in eval mode (its default) it folds BatchNorm into the convs, which loses the BatchNorm tensors and the conv
 *   names: such a file is refused with the export flag that keeps them.
 * The file is decoded (protobufjs), never run.
 */
import { readFile, stat } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { tensorDims, tensorValues } from '../import/foreignGraph';
import type { ModelName } from '../models/modelNames';
import { isVitName } from '../models/modelNames';
import { paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import type { ParamSpec } from '../models/types';
import { codebookPreset } from '../science/codebook';
import type { Checkpoint } from './checkpoint';
import { shapeText } from './checkpointEncoding';

export class OnnxInitError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'OnnxInitError';
  }
}

export interface NamedWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A source layout: how its state_dict names read in ours. */
interface NameMap {
  readonly layout: string;
  map(name: string): string | undefined;
}

const TORCHVISION_VIT_BLOCK: readonly [RegExp, string][] = [
  [/^ln_1\./, 'norm1.'],
  [/^self_attention\.in_proj_weight$/, 'attn.qkv.weight'],
  [/^self_attention\.in_proj_bias$/, 'attn.qkv.bias'],
  [/^self_attention\.out_proj\./, 'attn.proj.'],
  [/^ln_2\./, 'norm2.'],
  [/^mlp\.(0|linear_1)\./, 'mlp.fc1.'],
  [/^mlp\.(3|linear_2)\./, 'mlp.fc2.'],
];

/** torchvision's VisionTransformer (vit_b_16's names) in timm's names, which our ViTs use. */
function torchvisionVit(name: string): string | undefined {
  const top: Readonly<Record<string, string>> = {
    class_token: 'cls_token',
    'encoder.pos_embedding': 'pos_embed',
    'conv_proj.weight': 'patch_embed.proj.weight',
    'conv_proj.bias': 'patch_embed.proj.bias',
    'encoder.ln.weight': 'norm.weight',
    'encoder.ln.bias': 'norm.bias',
    'heads.head.weight': 'head.weight',
    'heads.head.bias': 'head.bias',
  };
  if (top[name]) return top[name];
  const m = /^encoder\.layers\.encoder_layer_(\d+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  for (const [pattern, ours] of TORCHVISION_VIT_BLOCK) {
    if (pattern.test(m[2]!)) return `blocks.${m[1]}.${m[2]!.replace(pattern, ours)}`;
  }
  return undefined;
}

/** timm's ViTs and ResNets and torchvision's ResNets already use our names. */
const SAME: NameMap = { layout: 'timm / torchvision ResNet', map: (name) => name };
const LAYOUTS: Readonly<Record<'vit' | 'cnn', readonly NameMap[]>> = {
  vit: [{ layout: 'timm', map: (name) => name }, { layout: 'torchvision ViT', map: torchvisionVit }],
  cnn: [SAME],
};

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** The file's float initializers under the names the exporter's model had (see the header). */
export function exportedWeights(model: onnx.IModelProto): Map<string, NamedWeight> {
  const stored = new Map<string, NamedWeight>();
  for (const t of model.graph?.initializer ?? []) {
    const data = t.dataType === FLOAT ? tensorValues(t) : undefined;
    if (data instanceof Float32Array && t.name) stored.set(t.name, { shape: tensorDims(t), data });
  }
  const weights = new Map([...stored].filter(([name]) => !name.startsWith('onnx::')));
  const nodes = model.graph?.node ?? [];
  for (const n of nodes) {
    const source = stored.get(n.input?.[0] ?? '');
    if (n.opType === 'Identity' && source && n.output?.[0]) weights.set(n.output[0], source);
  }
  const consumers = (value: string): onnx.INodeProto[] => nodes.filter((n) => n.input?.includes(value));
  for (const n of nodes) {
    const folded = n.opType === 'MatMul' ? n.input?.[1] : undefined;
    const wt = folded?.startsWith('onnx::') ? stored.get(folded) : undefined;
    if (!wt || wt.shape.length !== 2) continue;
    const add = consumers(n.output?.[0] ?? '').find((c) => c.opType === 'Add');
    const bias = add?.input?.find((i) => i !== n.output?.[0] && /bias$/.test(i) && weights.has(i));
    if (bias) weights.set(bias.replace(/bias$/, 'weight'), transposed(wt));
  }
  return weights;
}

function transposed(w: NamedWeight): NamedWeight {
  const [rows, cols] = w.shape as [number, number];
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = w.data[i * cols + j]!;
  return { shape: [cols, rows], data };
}

const isHead = (s: ParamSpec): boolean => s.role === 'fc_weight' || s.role === 'fc_bias';

interface Reading {
  readonly map: NameMap;
  /** The exporter's wrapper prefix ('model.', 'module.'), '' when none. */
  readonly prefix: string;
  /** Our name → the file's tensor. */
  readonly found: Map<string, NamedWeight>;
  /** The file's names that map to none of ours (the head excepted). */
  readonly extra: string[];
}

/** The file read in one layout and with one prefix. */
function readAs(weights: ReadonlyMap<string, NamedWeight>, map: NameMap, prefix: string, specs: ParamSpec[]): Reading {
  const ours = new Set(specs.map((s) => s.name));
  const head = new Set(specs.filter(isHead).map((s) => s.name));
  const found = new Map<string, NamedWeight>();
  const extra: string[] = [];
  for (const [name, w] of weights) {
    const mapped = name.startsWith(prefix) ? map.map(name.slice(prefix.length)) : undefined;
    if (mapped !== undefined && ours.has(mapped)) {
      if (!head.has(mapped)) found.set(mapped, w);
    } else extra.push(name);
  }
  return { map, prefix, found, extra };
}

/** Every prefix after which some file name ends in one of ours, as an exporter's wrapper leaves it. */
function prefixes(weights: ReadonlyMap<string, NamedWeight>, specs: ParamSpec[]): string[] {
  const out = new Set(['']);
  for (const name of weights.keys()) {
    const cut = name.indexOf('.');
    if (cut > 0 && specs.some((s) => name.endsWith(`.${s.name}`))) out.add(name.slice(0, cut + 1));
  }
  return [...out];
}

/**
 * The body of `preset` from the file's weights (our names, the head left out), or an OnnxInitError naming the
 * first tensor missing, mis-shaped or left over in the layout that matches best.
 */
export function mapOntoPreset(
  weights: ReadonlyMap<string, NamedWeight>,
  preset: string,
  file: string,
): Map<string, Float32Array> {
  return mapOntoSpecs(weights, paramSpecs(preset, 2), { name: preset, vit: isVitName(preset) }, file);
}

/** mapOntoPreset for the parameters `specs` of a model named `model.name`, a ViT or a CNN. */
export function mapOntoSpecs(
  weights: ReadonlyMap<string, NamedWeight>,
  specs: ParamSpec[],
  model: { readonly name: string; readonly vit: boolean },
  file: string,
): Map<string, Float32Array> {
  const preset = model.name;
  const body = specs.filter((s) => !isHead(s));
  const readings = LAYOUTS[model.vit ? 'vit' : 'cnn'].flatMap((map) =>
    prefixes(weights, specs).map((prefix) => readAs(weights, map, prefix, specs)));
  const best = readings.reduce((a, b) => (b.found.size > a.found.size ? b : a));
  const as = `read as ${best.map.layout}${best.prefix ? ` names after "${best.prefix}"` : ' names'}`;
  for (const spec of body) {
    const w = best.found.get(spec.name);
    if (!w) {
      const folded = body.some((s) => s.role === 'bn_running_mean') && weights.size < body.length;
      const hint = folded
        ? '; torch.onnx.export folds BatchNorm into the convs in eval mode: export with ' +
          'training=torch.onnx.TrainingMode.TRAINING, which keeps every state_dict tensor'
        : '';
      throw new OnnxInitError(
        file,
        `no weight for "${spec.name}" ${shapeText(spec.shape)}, which ${preset} needs (${as})${hint}`,
      );
    }
    if (w.shape.length !== spec.shape.length || w.shape.some((d, i) => d !== spec.shape[i])) {
      throw new OnnxInitError(
        file,
        `"${spec.name}" is ${shapeText(w.shape)} in the file, ${preset} needs ${shapeText(spec.shape)} (${as})`,
      );
    }
  }
  const extra = best.extra[0];
  if (extra !== undefined) {
    const w = weights.get(extra)!;
    throw new OnnxInitError(file, `it has "${extra}" ${shapeText(w.shape)}, which ${preset} does not have (${as})`);
  }
  return new Map(body.map((s) => [s.name, best.found.get(s.name)!.data]));
}

/** Larger files are refused before reading: DeiT-Small and ResNet-50 take about 100 MB. */
export const MAX_INIT_BYTES = 1024 ** 3;

async function readModelFile(file: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OnnxInitError(file, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? err})`);
  }
  if (!info.isFile()) throw new OnnxInitError(file, 'not a regular file');
  if (info.size > MAX_INIT_BYTES) {
    throw new OnnxInitError(file, `${info.size} bytes, more than the ${MAX_INIT_BYTES}-byte limit for weights`);
  }
  return readFile(file);
}

/** Whether `init` names an ONNX weights file rather than a checkpoint or a pretrained model. */
export const isOnnxInit = (init: string): boolean => /\.onnx$/i.test(init);

/**
 * The file's weights as a checkpoint of `preset` with no classes, so the run's head is re-created
 * (initWeights.ts) and the body is checked once more against the run's model.
 */
export async function loadOnnxInit(file: string, preset: ModelName): Promise<Checkpoint> {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(await readModelFile(file));
  } catch (err) {
    if (err instanceof OnnxInitError) throw err;
    throw new OnnxInitError(file, `not a valid ONNX model (${(err as Error).message})`);
  }
  const info = presetInfo(preset);
  const body = mapOntoPreset(exportedWeights(model), preset, file);
  const specs = paramSpecs(preset, 2).filter((s) => body.has(s.name));
  return {
    model: { preset, numClasses: 0, inputSize: info.inputSize },
    labels: [],
    codebook: codebookPreset(),
    lambda: 0,
    layers: [],
    normalisation: info.normalisation,
    dataManifestHash: '',
    epoch: 0,
    step: 0,
    optimizer: { lr: 0, scheduleStep: 0, seed: 0, batchInEpoch: 0, best: null, settings: { source: file } },
    metrics: [],
    createdAt: '',
    tensors: { model: specs.map((s) => ({ name: s.name, shape: s.shape, data: body.get(s.name)! })), momentum: [] },
  };
}
