/**
 * Runs an inference or explanation graph over batches and feeds the evaluator. Weights are graph inputs, so
 * the same session evaluates a model at every epoch of a run. On a GPU that keeps tensors resident, weights
 * already there (a training run's state) go in as they are and host weights are uploaded once, not every batch.
 */
import type { Batch } from '../data/loader';
import { activationName, buildExplanation, gradientName } from '../graphs/explain';
import { attentionName, buildInference } from '../graphs/inference';
import type { ModelName } from '../models/modelNames';
import { paramSpecs } from '../models/params';
import { presetInfo } from '../models/presets';
import type { Device } from '../onnx/deviceNames';
import { disposeOnDevice, isOnDevice, TensorCopier } from '../onnx/deviceTensors';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession, engineDevice, floatTensor, int64Tensor, residentTensors } from '../onnx/session';
import type { EvalBatch, Evaluator } from './evaluator';

export interface RunnerConfig {
  readonly preset: ModelName;
  readonly numClasses: number;
  readonly batch: number;
  /** When set, the graph also yields activations and class-score gradients at this layer, for the CAMs. */
  readonly camLayer?: string;
}

/** Host weights uploaded to the GPU, with the tensors they were uploaded from. */
interface Uploaded {
  readonly sources: ReadonlyMap<string, ort.Tensor>;
  readonly copies: ReadonlyMap<string, ort.Tensor>;
}

export class ModelRunner {
  private uploader: TensorCopier | undefined;
  private uploaded: Uploaded | undefined;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: RunnerConfig,
    private readonly device: Device,
  ) {}

  static async create(config: RunnerConfig, engine: EngineOptions): Promise<ModelRunner> {
    const device = engineDevice(engine);
    const { model } = config.camLayer
      ? buildExplanation({ ...config, device, layers: [config.camLayer] }, 'inputs')
      : buildInference({ ...config, device }, 'inputs');
    return new ModelRunner(await createSession(model, engine), config, device);
  }

  /** Runs one batch; gradients are taken for each sample's own label, as the paper computes CAMs. */
  async run(batch: Batch, weights: ReadonlyMap<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const { batch: n, preset } = this.config;
    const s = presetInfo(preset).inputSize;
    const feeds: Record<string, ort.Tensor> = { image: floatTensor(batch.image, [n, 3, s, s]) };
    if (this.config.camLayer) feeds['target'] = int64Tensor(batch.labels, [n]);
    for (const [name, t] of await this.onDevice(weights)) feeds[name] = t;
    return this.session.run(feeds);
  }

  /** The weights as the session should take them (see the header): uploaded again only when a tensor changed. */
  private async onDevice(weights: ReadonlyMap<string, ort.Tensor>): Promise<ReadonlyMap<string, ort.Tensor>> {
    if (!residentTensors(this.device) || [...weights.values()].every(isOnDevice)) return weights;
    const previous = this.uploaded;
    const unchanged =
      previous?.sources.size === weights.size && [...weights].every(([name, t]) => previous.sources.get(name) === t);
    if (previous && unchanged) return previous.copies;
    const specs = paramSpecs(this.config.preset, this.config.numClasses);
    this.uploader ??= await TensorCopier.create(this.device, specs, 'toDevice');
    this.uploaded = { sources: new Map(weights), copies: await this.uploader.copy(weights) };
    disposeOnDevice(previous?.copies.values() ?? []);
    return this.uploaded.copies;
  }

  /** The evaluator's view of one batch's outputs. */
  toEvalBatch(batch: Batch, out: ort.InferenceSession.OnnxValueMapType, fcWeight: Float32Array | undefined): EvalBatch {
    const info = presetInfo(this.config.preset);
    const attention = Object.fromEntries(info.layers.map((layer) => {
      const [, h, w] = info.layerShapes[layer]!;
      return [layer, { data: out[attentionName(layer)]!.data as Float32Array, height: h, width: w }];
    }));
    const s = info.inputSize;
    const base: EvalBatch = {
      count: batch.count,
      labels: batch.labels,
      logits: out['logits']!.data as Float32Array,
      attention,
      auMaps: batch.auMaps,
      auSize: s,
      auValid: batch.auValid,
      paths: batch.paths,
    };
    const layer = this.config.camLayer;
    if (!layer || !fcWeight) return base;
    const [c, h, w] = info.layerShapes[layer]!;
    return {
      ...base,
      camActs: { data: out[activationName(layer)]!.data as Float32Array, channels: c, height: h, width: w },
      camGrads: { data: out[gradientName(layer)]!.data as Float32Array, channels: c, height: h, width: w },
      fcWeight: { data: fcWeight, classes: this.config.numClasses, channels: c },
    };
  }

  async release(): Promise<void> {
    disposeOnDevice(this.uploaded?.copies.values() ?? []);
    this.uploaded = undefined;
    await this.uploader?.release();
    await this.session.release();
  }
}

/** Runs every batch of an evaluation pass into the evaluator, then hands it to `onBatch` (if any). */
export async function evaluateBatches<B extends Batch>(
  runner: ModelRunner,
  batches: AsyncIterable<B>,
  weights: ReadonlyMap<string, ort.Tensor>,
  evaluator: Evaluator,
  fcWeight?: Float32Array,
  signal?: AbortSignal,
  onBatch?: (batch: B, evalBatch: EvalBatch) => Promise<void>,
): Promise<void> {
  for await (const batch of batches) {
    if (signal?.aborted) return;
    const evalBatch = runner.toEvalBatch(batch, await runner.run(batch, weights), fcWeight);
    evaluator.addBatch(evalBatch);
    await onBatch?.(batch, evalBatch);
  }
}
