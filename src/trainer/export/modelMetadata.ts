/**
 * The metadata_props of an exported model: everything a consumer needs to feed it and read it (class order, input
 * size, normalisation, the AU codebook, layer names), as plain strings any ONNX runtime exposes (onnxruntime's
 * Python `get_modelmeta().custom_metadata_map`, netron's properties pane). Lists and records are JSON.
 */
import { onnx } from 'onnx-proto';
import packageJson from '../../../package.json';
import type { ModelMetadata } from '../onnx/serialize';
import { checkLayers, presetInfo } from '../models/presets';
import { CodebookError, parseCodebook } from '../science/codebook';
import type { Expression } from '../science/labels';
import { isExpression } from '../science/labels';
import type { ModelDescription } from './modelDescription';
import { knownPreset, ModelFileError } from './modelDescription';

/** Marks a file as an AU Lens export; a model without it is foreign. */
export const MODEL_FORMAT = 'au-lens-model';
export const MODEL_FORMAT_VERSION = 1;
export const PRODUCER_VERSION: string = packageJson.version;

export const METADATA_KEYS = {
  format: 'au_lens.format',
  formatVersion: 'au_lens.format_version',
  producerVersion: 'au_lens.producer_version',
  preset: 'au_lens.preset',
  labels: 'au_lens.labels',
  inputSize: 'au_lens.input_size',
  mean: 'au_lens.normalisation.mean',
  std: 'au_lens.normalisation.std',
  codebook: 'au_lens.codebook',
  alignedLayers: 'au_lens.aligned_layers',
  attentionLayers: 'au_lens.attention_layers',
  featureLayer: 'au_lens.feature_layer',
  lambda: 'au_lens.lambda',
  input: 'au_lens.input',
  outputs: 'au_lens.outputs',
} as const;

/** Extra facts recorded at export that the description does not need (provenance). */
export interface ExportProvenance {
  readonly [key: string]: string;
}

/** The metadata of a model described by `d`; `provenance` adds 'au_lens.source.*' keys. */
export function modelMetadata(d: ModelDescription, provenance: ExportProvenance = {}): ModelMetadata {
  const k = METADATA_KEYS;
  const s = d.inputSize;
  return {
    [k.format]: MODEL_FORMAT,
    [k.formatVersion]: String(MODEL_FORMAT_VERSION),
    [k.producerVersion]: PRODUCER_VERSION,
    [k.preset]: d.preset,
    [k.labels]: JSON.stringify(d.labels),
    [k.inputSize]: String(s),
    [k.mean]: JSON.stringify(d.normalisation.mean),
    [k.std]: JSON.stringify(d.normalisation.std),
    [k.codebook]: JSON.stringify({
      name: d.codebook.name,
      description: d.codebook.description,
      actionUnits: d.codebook.actionUnits,
    }),
    [k.alignedLayers]: JSON.stringify(d.alignedLayers),
    [k.attentionLayers]: JSON.stringify(d.attentionLayers),
    [k.featureLayer]: d.featureLayer,
    [k.lambda]: String(d.lambda),
    // For people wiring the model into other tools: how the training pipeline made its input.
    [k.input]:
      `image: float32 [batch, 3, ${s}, ${s}], RGB planes, (pixel / 255 - mean) / std; the square is the face box ` +
      `enlarged by 30 % about its centre, resampled to ${s} px (antialiased bilinear)`,
    [k.outputs]:
      'logits [batch, classes] (pre-softmax, class order au_lens.labels); att.<layer> [batch, H, W] channel-mean ' +
      'attention of each layer in au_lens.attention_layers; features [batch, C, H, W] output of au_lens.feature_layer',
    ...Object.fromEntries(Object.entries(provenance).map(([key, v]) => [`au_lens.source.${key}`, v])),
  };
}

/** A model that opens as ONNX but was not exported by AU Lens. */
export class ForeignModelError extends ModelFileError {
  override readonly name = 'ForeignModelError';
}

/** Decodes an ONNX ModelProto; anything that is not one is a ModelFileError. */
export function decodeOnnxModel(bytes: Uint8Array, file: string): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelFileError(
      file,
      `neither an AU Lens checkpoint nor a valid ONNX model (${(error as Error).message})`,
      error,
    );
  }
  // Protobuf decodes many byte strings without complaint; a model without a graph or an IR version is not one.
  if (!model.graph || Number(model.irVersion) <= 0 || (model.graph.node ?? []).length === 0) {
    throw new ModelFileError(file, 'neither an AU Lens checkpoint nor a valid ONNX model (no graph)');
  }
  return model;
}

/** metadata_props as a map. */
export function metadataOf(model: onnx.IModelProto): Map<string, string> {
  return new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

function parseJson(file: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new ModelFileError(file, `metadata "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(file, `metadata "${key}" is not valid JSON (${(error as Error).message})`, error);
  }
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isTriple = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * The description stored in an exported model's metadata. ForeignModelError when the model is not an AU Lens
 * export; ModelFileError naming the key for a damaged or newer one.
 */
export function describeExportedModel(metadata: ReadonlyMap<string, string>, file: string): ModelDescription {
  const k = METADATA_KEYS;
  if (metadata.get(k.format) !== MODEL_FORMAT) {
    throw new ForeignModelError(
      file,
      'not an AU Lens export (it has no au_lens.format metadata); to explain an ONNX classifier trained elsewhere, ' +
        'give it a sidecar config: au-lens inspect --model FILE --write-sidecar',
    );
  }
  const version = metadata.get(k.formatVersion);
  if (version !== String(MODEL_FORMAT_VERSION)) {
    throw new ModelFileError(
      file,
      `unsupported AU Lens model format version ${version ?? '(none)'} (this AU Lens reads version ` +
        `${MODEL_FORMAT_VERSION})`,
    );
  }
  const fail = (key: string, what: string): never => {
    throw new ModelFileError(file, `metadata "${key}" must be ${what}`);
  };
  const preset = knownPreset(file, metadata.get(k.preset) ?? '');
  const labels = parseJson(file, k.labels, metadata.get(k.labels));
  if (!isStringList(labels) || labels.length < 2 || !labels.every(isExpression)) {
    fail(k.labels, 'a JSON list of at least two expression names');
  }
  const inputSize = Number(metadata.get(k.inputSize));
  if (inputSize !== presetInfo(preset).inputSize) {
    fail(k.inputSize, `${presetInfo(preset).inputSize}, the input size of preset ${preset}`);
  }
  const mean = parseJson(file, k.mean, metadata.get(k.mean));
  const std = parseJson(file, k.std, metadata.get(k.std));
  if (!isTriple(mean)) fail(k.mean, 'a JSON list of three numbers');
  if (!isTriple(std) || !(std as number[]).every((v) => v > 0)) fail(k.std, 'a JSON list of three positive numbers');
  let codebook;
  try {
    codebook = parseCodebook(parseJson(file, k.codebook, metadata.get(k.codebook)), `metadata "${k.codebook}"`);
  } catch (error) {
    if (error instanceof CodebookError) throw new ModelFileError(file, error.message, error);
    throw error;
  }
  const alignedLayers = parseJson(file, k.alignedLayers, metadata.get(k.alignedLayers));
  const attentionLayers = parseJson(file, k.attentionLayers, metadata.get(k.attentionLayers));
  if (!isStringList(alignedLayers)) fail(k.alignedLayers, 'a JSON list of layer names');
  if (!isStringList(attentionLayers) || attentionLayers.length === 0) {
    fail(k.attentionLayers, 'a JSON list of layer names');
  }
  const featureLayer = metadata.get(k.featureLayer) ?? '';
  try {
    checkLayers(preset, [...(alignedLayers as string[]), ...(attentionLayers as string[]), featureLayer]);
  } catch (error) {
    throw new ModelFileError(file, (error as Error).message, error);
  }
  const lambda = Number(metadata.get(k.lambda));
  if (!Number.isFinite(lambda)) fail(k.lambda, 'a number');
  return {
    preset,
    labels: labels as Expression[],
    inputSize,
    normalisation: { mean: mean as [number, number, number], std: std as [number, number, number] },
    codebook,
    alignedLayers: alignedLayers as string[],
    attentionLayers: attentionLayers as string[],
    featureLayer,
    lambda,
  };
}
