/**
 * The sidecar config of an ONNX classifier trained elsewhere (`model.onnx` → `model.au-lens.json`): what the file
 * itself does not say — class order, how its input was made, which graph values are the layers to explain.
 * schemas/au-lens-model.schema.json describes the same format for the editor; parseSidecar is the authority and
 * names the field and what is allowed in every message.
 */
import * as path from 'node:path';
import type { Normalisation } from '../models/modelInfo';
import { IMAGENET_NORMALISATION } from '../models/modelInfo';
import { ROLLOUT_LAYER } from '../models/vitPresets';
import type { FaceCrop } from '../science/faceFrame';
import type { Expression } from '../science/labels';
import { EXPRESSIONS, parseExpression } from '../science/labels';
import type { TokenLayout } from './tokenLayers';

export const SIDECAR_SUFFIX = '.au-lens.json';
export const SIDECAR_FORMAT_VERSION = 1;

export interface SidecarLayer {
  /** The ONNX value (a node output) whose activations are explained. */
  readonly value: string;
  /** How reports and the panel name it. */
  readonly name: string;
}

export interface SidecarInput {
  /** The graph input fed with the image; default: the model's only input. */
  readonly name?: string;
  /** Side of the square input; required when the model's H and W are dynamic. */
  readonly size?: number;
  /** Order of the three input planes. */
  readonly channels: 'RGB' | 'BGR';
  /** Whether pixels are 0–1 or 0–255 before mean and std apply (mean and std are in the same scale). */
  readonly scale: 1 | 255;
  /** Per input plane, in `channels` order. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface Sidecar {
  readonly version: number;
  /** Output k of the network is labels[k]. */
  readonly labels: readonly Expression[];
  readonly input: SidecarInput;
  /** The graph output holding the pre-softmax class scores; default: the model's only output. */
  readonly logits?: string;
  readonly layers: readonly SidecarLayer[];
  /** The display name of the layer CAMs are computed on; default: the last layer. */
  readonly camLayer: string;
  /** A codebook preset name or a JSON file relative to the sidecar; default 'paper'. */
  readonly codebook: string;
  /** 'paper': the face box enlarged as AU Lens trains; 'box': the detector's box alone. */
  readonly crop: FaceCrop;
  /** A vision transformer's token layers: how tokens (1, T, C) lie on the patch grid (tokenLayers.ts). */
  readonly tokens?: TokenLayout;
}

/** A sidecar that cannot be used; the message names the file, the field and what is allowed. */
export class SidecarError extends Error {
  override readonly name = 'SidecarError';

  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** `model.onnx` → `model.au-lens.json`, beside it. */
export function sidecarPathFor(modelFile: string): string {
  const ext = path.extname(modelFile);
  return path.join(path.dirname(modelFile), `${path.basename(modelFile, ext)}${SIDECAR_SUFFIX}`);
}

/** The normalisation AU Lens applies to RGB 0–1 pixels that matches the sidecar's input recipe. */
export function rgbNormalisation(input: SidecarInput): Normalisation {
  const order = input.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const pick = (v: readonly number[]): [number, number, number] =>
    order.map((i) => v[i]! / input.scale) as [number, number, number];
  return { mean: pick(input.mean), std: pick(input.std) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTriple = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

const TOP_KEYS = [
  '$schema', 'version', 'labels', 'input', 'logits', 'layers', 'camLayer', 'codebook', 'crop', 'tokens',
];

/**
 * `tokens`: { grid: [H, W] of positive integers, skip: an integer ≥ 0 (default 1, the class token), attention:
 * optionally each block's attention Softmax output in block order, distinct non-empty value names }.
 */
function parseTokens(raw: unknown, fail: (problem: string) => never): TokenLayout | undefined {
  if (raw === undefined) return undefined;
  const what = '"tokens" must be {"grid": [H, W], "skip": 1} (the patch grid, and the tokens before the patches)';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(what);
  const { grid, skip = 1, attention, ...rest } = raw as Record<string, unknown>;
  const whole = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min;
  const pair = Array.isArray(grid) && grid.length === 2 && grid.every((v) => whole(v, 1));
  const ok = pair && Object.keys(rest).length === 0;
  if (!ok || !whole(skip, 0)) return fail(`${what}, got ${JSON.stringify(raw)}`);
  const names = Array.isArray(attention) && attention.length > 0 &&
    attention.every((v) => typeof v === 'string' && v !== '') && new Set(attention).size === attention.length;
  if (attention !== undefined && !names) {
    fail(
      '"tokens.attention" must list each block\'s attention Softmax output (ONNX value names, [1, heads, T, T]) ' +
        `once, in block order; \`au-lens inspect --model FILE\` proposes them; got ${JSON.stringify(attention)}`,
    );
  }
  return {
    grid: [grid[0] as number, grid[1] as number], skip: skip as number,
    ...(attention !== undefined && { attention: attention as string[] }),
  };
}
const INPUT_KEYS = ['name', 'size', 'channels', 'scale', 'mean', 'std'];

/** Checks a parsed sidecar; `file` names it in messages. */
export function parseSidecar(json: unknown, file: string): Sidecar {
  const fail = (problem: string): never => {
    throw new SidecarError(file, problem);
  };
  if (!isRecord(json)) return fail('must be a JSON object with "labels", "input" and "layers"');
  const unknownKey = Object.keys(json).find((k) => !TOP_KEYS.includes(k));
  if (unknownKey !== undefined) fail(`unknown field "${unknownKey}"; allowed: ${TOP_KEYS.join(', ')}`);
  const version = json['version'] ?? SIDECAR_FORMAT_VERSION;
  if (version !== SIDECAR_FORMAT_VERSION) {
    fail(
      `"version" must be ${SIDECAR_FORMAT_VERSION} (this AU Lens reads version ${SIDECAR_FORMAT_VERSION}), got ` +
        `${JSON.stringify(version)}`,
    );
  }

  const rawLabels = json['labels'];
  if (!Array.isArray(rawLabels) || rawLabels.length < 2) {
    fail(`"labels" must list at least two classes in output order, from: ${EXPRESSIONS.join(', ')}`);
  }
  const labels = (rawLabels as unknown[]).map((l, i) => {
    const e = typeof l === 'string' ? parseExpression(l) : undefined;
    return e ?? fail(`"labels[${i}]" is ${JSON.stringify(l)}; allowed: ${EXPRESSIONS.join(', ')}`);
  });
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) fail(`"labels" lists "${twice}" twice`);

  const rawInput = json['input'] ?? {};
  if (!isRecord(rawInput)) return fail('"input" must be an object (name, size, channels, scale, mean, std)');
  const unknownInput = Object.keys(rawInput).find((k) => !INPUT_KEYS.includes(k));
  if (unknownInput !== undefined) fail(`unknown field "input.${unknownInput}"; allowed: ${INPUT_KEYS.join(', ')}`);
  const name = rawInput['name'];
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    fail('"input.name" must be the name of a graph input');
  }
  const size = rawInput['size'];
  if (size !== undefined && !(typeof size === 'number' && Number.isInteger(size) && size >= 8 && size <= 4096)) {
    fail(`"input.size" must be an integer from 8 to 4096 (pixels), got ${JSON.stringify(size)}`);
  }
  const channels = rawInput['channels'] ?? 'RGB';
  if (channels !== 'RGB' && channels !== 'BGR') {
    fail(`"input.channels" must be "RGB" or "BGR", got ${JSON.stringify(channels)}`);
  }
  const scale = rawInput['scale'] ?? 1;
  if (scale !== 1 && scale !== 255) {
    fail(`"input.scale" must be 1 (pixels 0–1) or 255 (pixels 0–255), got ${JSON.stringify(scale)}`);
  }
  const mean = rawInput['mean'] ?? [...IMAGENET_NORMALISATION.mean].map((v) => v * (scale as number));
  const std = rawInput['std'] ?? [...IMAGENET_NORMALISATION.std].map((v) => v * (scale as number));
  if (!isTriple(mean)) fail(`"input.mean" must be three numbers (one per channel), got ${JSON.stringify(mean)}`);
  if (!isTriple(std) || !(std as number[]).every((v) => v > 0)) {
    fail(`"input.std" must be three positive numbers (one per channel), got ${JSON.stringify(std)}`);
  }

  const logits = json['logits'];
  if (logits !== undefined && (typeof logits !== 'string' || logits === '')) {
    fail('"logits" must be the name of the graph output holding the class scores');
  }

  const rawLayers = json['layers'];
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) {
    fail(
      '"layers" must list at least one layer as {"value": "<ONNX value name>", "name": "<display name>"}; `au-lens ' +
        'inspect --model FILE` lists the candidates',
    );
  }
  const layers = (rawLayers as unknown[]).map((l, i): SidecarLayer => {
    if (typeof l === 'string' && l !== '') return { value: l, name: l };
    if (!isRecord(l) || typeof l['value'] !== 'string' || l['value'] === '') {
      return fail(`"layers[${i}]" must be {"value": "<ONNX value name>", "name": "<display name>"}`);
    }
    const display = l['name'] ?? l['value'];
    if (typeof display !== 'string' || display === '') return fail(`"layers[${i}].name" must be a non-empty string`);
    return { value: l['value'], name: display };
  });
  const dup = layers.find((l, i) => layers.findIndex((m) => m.name === l.name) !== i);
  if (dup) fail(`"layers" names "${dup.name}" twice; give each layer its own "name"`);

  const rawCam = json['camLayer'] ?? layers[layers.length - 1]!.name;
  const camLayer =
    layers.find((l) => l.name === rawCam) ??
    layers.find((l) => l.value === rawCam) ??
    fail(
      `"camLayer" must be the name of one of "layers" (${layers.map((l) => l.name).join(', ')}), got ` +
        `${JSON.stringify(rawCam)}`,
    );
  const codebook = json['codebook'] ?? 'paper';
  if (typeof codebook !== 'string' || codebook === '') {
    fail('"codebook" must be a codebook preset ("paper", "official-code") or a JSON file path');
  }
  const crop = json['crop'] ?? 'paper';
  if (crop !== 'paper' && crop !== 'box') {
    fail(
      `"crop" must be "paper" (face box enlarged by 30 %, as AU Lens trains) or "box" (the detector's box), got ` +
        `${JSON.stringify(crop)}`,
    );
  }
  const tokens = parseTokens(json['tokens'], fail);
  if (tokens?.attention && layers.some((l) => l.name === ROLLOUT_LAYER)) {
    fail(`"layers" names a layer "${ROLLOUT_LAYER}", the map "tokens.attention" makes; give the layer another "name"`);
  }

  return {
    version: SIDECAR_FORMAT_VERSION,
    labels,
    input: {
      ...(name !== undefined && { name: name as string }),
      ...(size !== undefined && { size: size as number }),
      channels: channels as 'RGB' | 'BGR',
      scale: scale as 1 | 255,
      mean: mean as [number, number, number],
      std: std as [number, number, number],
    },
    ...(logits !== undefined && { logits: logits as string }),
    layers,
    camLayer: camLayer.name,
    ...(tokens !== undefined && { tokens }),
    codebook: codebook as string,
    crop: crop as FaceCrop,
  };
}

/**
 * The sidecar as written to disk: defaults spelt out, so a reviewer sees every choice. No "$schema": the editor
 * finds the schema by file name (package.json jsonValidation), and a URL would invite a network fetch.
 */
export function sidecarJson(sidecar: Sidecar): string {
  const { version, labels, input, logits, layers, camLayer, codebook, crop, tokens } = sidecar;
  const ordered = {
    version, labels, input, ...(logits !== undefined && { logits }), layers, camLayer, codebook, crop,
    ...(tokens !== undefined && { tokens }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
