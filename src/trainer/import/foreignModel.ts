/**
 * An ONNX classifier trained elsewhere, opened for explanation with its sidecar (sidecar.ts). The chosen layers
 * become outputs: when every op of the graph is covered by the differentiator the model runs as a rebuilt graph
 * (translateGraph.ts) that also yields the CAM layer's gradient, so every CAM method works; otherwise the file
 * itself runs with the layers exposed as outputs and the report says which ops keep the gradient methods out.
 * Attention is the channel mean of each layer (the paper's T_l), CAM reads the linear head (linearHead.ts); a ViT
 * whose sidecar names its blocks' attention Softmax also gets their rollout (importedRollout.ts), as the presets do.
 */
import type { onnx } from 'onnx-proto';
import type { LayerActivations } from '../cam';
import { CAM_METHODS } from '../cam';
import { EXPLAINED_OUTPUT } from '../explain/explainGraph';
import type { ModelOutputs, OpenModel, OpenModelDescription, UnavailableMethod } from '../explain/openModel';
import { ModelFileError } from '../export/modelDescription';
import { DeviceError } from '../onnx/device';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession, floatTensor, int64Tensor } from '../onnx/session';
import { sessionClassifier } from '../explain/sessionClassifier';
import type { CamMethodName } from '../science/camMethods';
import { CAM_METHOD_NAMES } from '../science/camMethods';
import type { Classifier } from '../science/metrics/faithfulness/classifier';
import type { Heatmap } from '../science/types';
import { ROLLOUT_LAYER } from '../models/vitPresets';
import type { CandidateLayer, ClassifierIo } from './foreignGraph';
import { classCount, classifierIo, discoverLayers, measureValues, nodeOutputs, withOutputs } from './foreignGraph';
import { findLinearHead } from './linearHead';
import type { Sidecar } from './sidecar';
import { rgbNormalisation } from './sidecar';
import { readSidecar, sidecarCodebook } from './sidecarFile';
import type { ImportedRollout } from './importedRollout';
import { missingAttention, openImportedRollout } from './importedRollout';
import { attentionOutputName, buildTranslatedExplainer, CAM_GRADIENT_OUTPUT, layerOutputName,
  TranslationError } from './translateGraph';
import { describeUnsupported, gradientBlockers, unsupportedOps } from './opCoverage';
import { tokenShape, tokensToGrid } from './tokenLayers';

/** Channel mean over (C, H, W): the paper's layer attention. */
export function channelMean(a: LayerActivations): Heatmap {
  const plane = a.height * a.width;
  const data = new Float32Array(plane);
  for (let c = 0; c < a.channels; c++) for (let i = 0; i < plane; i++) data[i] = data[i]! + a.data[c * plane + i]!;
  for (let i = 0; i < plane; i++) data[i] = data[i]! / a.channels;
  return { width: a.width, height: a.height, data };
}

const labelCountProblem = (outputs: number, labels: number, where: string): string =>
  `the model has ${outputs} outputs but ${where} lists ${labels} labels; list one label per output, in output order`;

const listCandidates = (layers: readonly CandidateLayer[]): string =>
  layers.map((l) => `${l.value} [${l.shape.join('×')}]`).join(', ');

interface Runner {
  readonly session: ort.InferenceSession;
  readonly translated: boolean;
}

class ImportedModel implements OpenModel {
  readonly kind = 'imported' as const;
  private probabilities: Classifier | undefined;

  constructor(
    readonly file: string,
    readonly description: OpenModelDescription,
    readonly crop: Sidecar['crop'],
    readonly fcWeight: Float32Array,
    readonly methods: readonly CamMethodName[],
    readonly unavailable: readonly UnavailableMethod[],
    private readonly runner: Runner,
    private readonly io: ClassifierIo,
    private readonly sidecar: Sidecar,
    private readonly shapes: readonly (readonly [number, number, number])[],
    private readonly rollout: ImportedRollout | undefined,
  ) {}

  get camLayer(): string {
    return this.sidecar.camLayer;
  }

  async run(image: Float32Array, target: number): Promise<ModelOutputs> {
    const out = await runOnce(this.runner, this.io, bgrIfNeeded(image, this.sidecar), target);
    // A token value (1, T, C) of a ViT becomes its C×H×W grid (sidecar "tokens"); feature maps stay as they are.
    const { tokens } = this.sidecar;
    const spatial = (t: ort.Tensor, channels: number): Float32Array =>
      tokens && t.dims.length === 3 ? tokensToGrid(t.data as Float32Array, channels, tokens) : (t.data as Float32Array);
    const layers = this.sidecar.layers.map((l, i) => {
      const [channels, height, width] = this.shapes[i]!;
      const data = spatial((this.runner.translated ? out[layerOutputName(i)] : out[l.value])!, channels);
      return { name: l.name, activations: { channels, height, width, data } };
    });
    const cam = layers.find((l) => l.name === this.camLayer)!.activations;
    const logits = (this.runner.translated ? out['logits'] : out[this.io.logits])!.data as Float32Array;
    const attention = new Map(layers.map((l) => [l.name, channelMean(l.activations)]));
    if (this.rollout) attention.set(ROLLOUT_LAYER, await this.rollout.run(attentionOf(this.runner, out, this.sidecar)));
    return {
      logits,
      attention,
      activations: cam,
      ...(this.runner.translated && {
        gradients: spatial(out[CAM_GRADIENT_OUTPUT]!, cam.channels),
        explained: Number((out[EXPLAINED_OUTPUT]!.data as BigInt64Array)[0]),
      }),
    };
  }

  /** One image per run through its own session: the graph may be built for batch 1 only. */
  classifier(): Promise<Classifier> {
    const s = this.io.size;
    this.probabilities ??= sessionClassifier({
      labels: this.description.labels, size: s, batchSize: 1, staticBatch: true,
      run: async (image) => {
        const out = await runOnce(this.runner, this.io, bgrIfNeeded(image, this.sidecar), 0);
        return (this.runner.translated ? out['logits'] : out[this.io.logits])!.data as Float32Array;
      },
    });
    return Promise.resolve(this.probabilities);
  }

  async release(): Promise<void> {
    await this.rollout?.release();
    await this.runner.session.release();
  }
}

/** The blocks' attention probabilities the sidecar names (tokens.attention), from one run. */
function attentionOf(runner: Runner, out: ort.InferenceSession.OnnxValueMapType, sidecar: Sidecar): ort.Tensor[] {
  return (sidecar.tokens?.attention ?? []).map((v, i) => out[runner.translated ? attentionOutputName(i) : v]!);
}

/** The sidecar's channel order: AU Lens makes RGB planes. */
function bgrIfNeeded(image: Float32Array, sidecar: Sidecar): Float32Array {
  if (sidecar.input.channels === 'RGB') return image;
  const plane = image.length / 3;
  const out = new Float32Array(image.length);
  out.set(image.subarray(2 * plane), 0);
  out.set(image.subarray(plane, 2 * plane), plane);
  out.set(image.subarray(0, plane), 2 * plane);
  return out;
}

async function runOnce(
  runner: Runner,
  io: ClassifierIo,
  image: Float32Array,
  target: number,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const s = io.size;
  if (runner.translated) {
    return runner.session.run({ image: floatTensor(image, [1, 3, s, s]), target: int64Tensor([target], [1]) });
  }
  return runner.session.run({ [io.input]: floatTensor(image, [1, 3, s, s]) });
}

/**
 * The rebuilt graph with gradients when every op between the CAM layer and the logits is covered (others are
 * copied, with the shapes one run measures), with the reason when it is not.
 */
async function gradientGraph(
  proto: onnx.IModelProto,
  file: string,
  io: ClassifierIo,
  sidecar: Sidecar,
  engine: EngineOptions,
): Promise<{ bytes: Uint8Array } | { reason: string }> {
  const cam = sidecar.layers.find((l) => l.name === sidecar.camLayer)!;
  const blockers = gradientBlockers(proto, cam.value);
  if (blockers.length > 0) {
    return {
      reason: `needs class-score gradients, but the differentiator does not cover these ops between the CAM layer ` +
        `and the logits: ${describeUnsupported(blockers)}`,
    };
  }
  const types = unsupportedOps(proto).length > 0 ? await measureValues(proto, file, io, engine) : undefined;
  try {
    return {
      bytes: buildTranslatedExplainer(
        proto,
        {
          ...io, layers: sidecar.layers.map((l) => l.value), camValue: cam.value, numClasses: sidecar.labels.length,
          ...(sidecar.tokens?.attention && { attention: sidecar.tokens.attention }),
        },
        types,
      ),
    };
  } catch (error) {
    if (error instanceof TranslationError || error instanceof RangeError) {
      return {
        reason: `needs class-score gradients, but the model's graph cannot be differentiated: ${error.message}`,
      };
    }
    throw error;
  }
}

async function loadSession(file: string, bytes: Uint8Array, engine: EngineOptions): Promise<ort.InferenceSession> {
  try {
    return await createSession(bytes, engine);
  } catch (error) {
    if (error instanceof DeviceError) throw error; // the device's fault, not the file's
    throw new ModelFileError(
      file,
      `ONNX Runtime cannot load the model (${(error as Error).message.split('\n')[0]})`,
      error,
    );
  }
}

/** Opens a foreign classifier; `proto` is the decoded file. */
export async function openImported(
  file: string,
  proto: onnx.IModelProto,
  engine: EngineOptions,
  sidecarFile?: string,
): Promise<OpenModel> {
  const { sidecar, path: sidecarPath } = await readSidecar(file, sidecarFile);
  const where = `its sidecar ${sidecarPath}`;
  const io = classifierIo(
    proto,
    file,
    {
      ...(sidecar.input.name !== undefined && { input: sidecar.input.name }),
      ...(sidecar.input.size !== undefined && { size: sidecar.input.size }),
      ...(sidecar.logits !== undefined && { logits: sidecar.logits }),
    },
    where,
  );
  const k = sidecar.labels.length;
  const declared = classCount(proto, io.logits);
  if (declared !== undefined && declared !== k) throw new ModelFileError(file, labelCountProblem(declared, k, where));
  const known = new Set(nodeOutputs(proto).map((o) => o.value));
  const absent = sidecar.layers.find((l) => !known.has(l.value));
  if (absent) {
    const { layers } = await discoverLayers(proto, file, io, engine);
    throw new ModelFileError(
      file,
      `${where} names layer "${absent.name}" as value "${absent.value}", which the graph does not have; its ` +
        `candidate layers: ${listCandidates(layers)}`,
    );
  }
  const noAttention = missingAttention(sidecar.tokens, known);
  if (noAttention !== undefined) throw new ModelFileError(file, `${where}: ${noAttention}`);
  let gradient = await gradientGraph(proto, file, io, sidecar, engine);
  let session: ort.InferenceSession | undefined;
  if ('bytes' in gradient) {
    // The rebuilt graph is opset 17; ops copied from a model of another opset may not load there.
    session = await createSession(gradient.bytes, engine).catch((error: unknown) => {
      gradient = {
        reason: `needs class-score gradients, but the rebuilt graph does not load ` +
          `(${(error as Error).message.split('\n')[0]})`,
      };
      return undefined;
    });
  }
  const translated = session !== undefined;
  session ??= await loadSession(file, withOutputs(proto, [
    ...sidecar.layers.map((l) => l.value), ...(sidecar.tokens?.attention ?? []),
  ]), engine);
  const runner: Runner = { session, translated };
  let rollout: ImportedRollout | undefined;
  try {
    const s = io.size;
    const probe = await runOnce(runner, io, new Float32Array(3 * s * s), 0).catch((error: unknown) => {
      throw new ModelFileError(
        file,
        `the model does not run on a 1×3×${s}×${s} image (${(error as Error).message.split('\n')[0]}); check ` +
          `"input.size" in ${where}`,
        error,
      );
    });
    const logits = (translated ? probe['logits'] : probe[io.logits])!;
    if (logits.dims.length !== 2 || Number(logits.dims[1]) !== k) {
      throw new ModelFileError(
        file,
        logits.dims.length !== 2
          ? `not an image classifier: output "${io.logits}" is [${logits.dims.join(', ')}], but class scores are [N, K]`
          : labelCountProblem(Number(logits.dims[1]), k, where),
      );
    }
    const shapes = sidecar.layers.map((l, i) => {
      const dims = (translated ? probe[layerOutputName(i)] : probe[l.value])!.dims.map(Number);
      const asGrid = sidecar.tokens && tokenShape(dims, sidecar.tokens);
      if (asGrid) return asGrid;
      if (dims.length !== 4 || dims[2]! < 2 || dims[3]! < 2) {
        throw new ModelFileError(
          file,
          `layer "${l.name}" (${l.value}) is [${dims.join(', ')}], not a spatial feature map N×C×H×W with H, W > 1; ` +
            `pick another in ${where} (\`au-lens inspect --model ${file}\` lists them)`,
        );
      }
      return [dims[1]!, dims[2]!, dims[3]!] as const;
    });
    const camIndex = sidecar.layers.findIndex((l) => l.name === sidecar.camLayer);
    const channels = shapes[camIndex]![0];
    const head = findLinearHead(proto, sidecar.layers[camIndex]!.value, io.logits, k, channels);
    const unavailable: UnavailableMethod[] = CAM_METHOD_NAMES.flatMap((method) => {
      const needs = CAM_METHODS[method].needs;
      if (needs.includes('gradients') && !translated) {
        return [{ method, reason: (gradient as { reason: string }).reason }];
      }
      if (needs.includes('classWeights') && 'reason' in head) return [{ method, reason: head.reason }];
      return [];
    });
    const codebook = await sidecarCodebook(file, sidecar, sidecarPath);
    const { tokens } = sidecar;
    rollout = tokens?.attention && await openImportedRollout(
      attentionOf(runner, probe, sidecar).map((t) => t.dims.map(Number)), tokens, engine, (problem) => {
        throw new ModelFileError(file, `${where}: ${problem}`);
      });
    const names = [...sidecar.layers.map((l) => l.name), ...(rollout ? [ROLLOUT_LAYER] : [])];
    const description: OpenModelDescription = {
      preset: 'imported',
      labels: sidecar.labels,
      inputSize: io.size,
      normalisation: rgbNormalisation(sidecar.input),
      codebook,
      alignedLayers: [],
      attentionLayers: names,
      featureLayer: sidecar.camLayer,
      lambda: 0,
    };
    const fcWeight = 'weight' in head ? head.weight : new Float32Array(k * channels);
    const methods = CAM_METHOD_NAMES.filter((m) => !unavailable.some((u) => u.method === m));
    return new ImportedModel(
      file, description, sidecar.crop, fcWeight, methods, unavailable, runner, io, sidecar, shapes, rollout,
    );
  } catch (error) {
    await rollout?.release();
    await session.release();
    throw error;
  }
}
