/**
 * A model file opened for explanation, with its ONNX Runtime session kept warm. Two kinds:
 * - an AU Lens checkpoint, or a pretrained model by name (train/pretrained.ts), which is one in memory: its weights
 *   are baked into the explanation graph (explainGraph.ts), which yields the gradients Grad-CAM, Grad-CAM++ and
 *   LayerCAM need;
 * - an ONNX model written by `au-lens export`: its metadata describes it, and it runs as it is. It has no gradient
 *   outputs, so only the attention maps and CAM (the fc weights are in the file) are available;
 * - any other ONNX image classifier, described by its sidecar config (import/: the chosen layers exposed as
 *   outputs, gradients when the differentiator covers its graph).
 * Anything else is refused with a message saying what the file is and what is supported.
 */
import type { LayerActivations } from '../cam';
import { CAM_METHODS } from '../cam';
import type { ModelDescription } from '../export/modelDescription';
import { checkpointModel, ModelFileError } from '../export/modelDescription';
import { describeExportedModel, METADATA_KEYS, metadataOf } from '../export/modelMetadata';
import { decodeWithData } from '../import/externalData';
import { activationName, gradientName } from '../graphs/explain';
import { attentionName, buildLogits } from '../graphs/inference';
import { tensorValues } from '../import/foreignGraph';
import { FileReadError, READ_CAPS, readBoundedFile } from '../io/boundedRead';
import type { Trust } from '../io/modelTrust';
import { checkModelTrust } from '../io/modelTrust';
import { openImported } from '../import/foreignModel';
import { headWeightName, redrawFromLayer } from '../models/params';
import { presetInfo } from '../models/presets';
import type { EngineOptions, ort } from '../onnx/session';
import { createSession, engineDevice, floatTensor, int64Tensor } from '../onnx/session';
import type { CamMethodName } from '../science/camMethods';
import type { Classifier } from '../science/metrics/faithfulness/classifier';
import { CAM_METHOD_NAMES } from '../science/camMethods';
import type { FaceCrop } from '../science/faceFrame';
import type { Heatmap } from '../science/types';
import type { Checkpoint, LoadedCheckpoint } from '../train/checkpoint';
import { CheckpointError, loadCheckpoint } from '../train/checkpoint';
import { isPretrainedModel, pretrainedCheckpoint } from '../train/pretrained';
import { buildExplainerGraph, EXPLAINED_OUTPUT, PREDICTED_CLASS } from './explainGraph';
import type { ModelKind, ModelOutputs, OpenModel, UnavailableMethod } from './openModel';
import { LazyClassifier, sessionClassifier } from './sessionClassifier';

const GRADIENT_METHODS_REASON =
  'needs class-score gradients, which an exported ONNX model does not carry; explain the checkpoint it was exported ' +
    'from for this method';

function attentionMaps(
  out: ort.InferenceSession.OnnxValueMapType,
  description: ModelDescription,
): Map<string, Heatmap> {
  const info = presetInfo(description.preset);
  return new Map(
    description.attentionLayers.map((layer) => {
      const [, height, width] = info.layerShapes[layer]!;
      return [layer, { width, height, data: out[attentionName(layer)]!.data as Float32Array }];
    }),
  );
}

function activationsOf(data: Float32Array, description: ModelDescription, layer: string): LayerActivations {
  const [channels, height, width] = presetInfo(description.preset).layerShapes[layer]!;
  return { channels, height, width, data };
}

/** Images per run of the faithfulness classifier. */
export const CLASSIFIER_BATCH = 32;

/** A checkpoint's batched classifier: its logits graph at CLASSIFIER_BATCH with the weights baked in. */
export async function checkpointClassifier(
  checkpoint: Checkpoint,
  file: string,
  engine: EngineOptions,
): Promise<{ classifier: Classifier; release: () => Promise<void> }> {
  const { description, params } = checkpointModel(checkpoint, file);
  const s = description.inputSize;
  const config = {
    preset: description.preset,
    numClasses: description.labels.length,
    batch: CLASSIFIER_BATCH,
    device: engineDevice(engine),
  };
  const session = await createSession(buildLogits(config, params), engine);
  const run = async (batch: Float32Array): Promise<Float32Array> => {
    const out = await session.run({ image: floatTensor(batch, [CLASSIFIER_BATCH, 3, s, s]) });
    return out['logits']!.data as Float32Array;
  };
  const classifier = sessionClassifier({
    labels: description.labels, size: s, batchSize: CLASSIFIER_BATCH, staticBatch: true, run,
  });
  return { classifier, release: () => session.release() };
}

class SessionModel implements OpenModel {
  private readonly logits: LazyClassifier;
  readonly randomised: OpenModel['randomised'];

  constructor(
    readonly file: string,
    readonly kind: ModelKind,
    readonly description: ModelDescription,
    readonly fcWeight: Float32Array,
    private readonly session: ort.InferenceSession,
    engine: EngineOptions,
    checkpoint?: Checkpoint,
    readonly note?: string,
  ) {
    const spec = { labels: description.labels, size: description.inputSize, batchSize: CLASSIFIER_BATCH };
    this.logits = new LazyClassifier(async () => {
      if (!checkpoint) {
        // An exported model takes any batch: its own session serves.
        const run = async (batch: Float32Array, count: number): Promise<Float32Array> => {
          const s = description.inputSize;
          const out = await this.session.run({ image: floatTensor(batch, [count, 3, s, s]) });
          return out['logits']!.data as Float32Array;
        };
        return { classifier: sessionClassifier({ ...spec, staticBatch: false, run }), release: async () => {} };
      }
      return checkpointClassifier(checkpoint, file, engine);
    });
    this.randomised = checkpoint && (async (seed: number) => {
      const layer = description.featureLayer;
      const { params, redrawn } = redrawFromLayer(
        description.preset, description.labels.length, checkpointModel(checkpoint, file).params, layer, seed,
      );
      const tensors = checkpoint.tensors.model.map((t) => ({ ...t, data: params.get(t.name)! }));
      const redrawnCheckpoint = { ...checkpoint, tensors: { ...checkpoint.tensors, model: tensors } };
      const model = await openLoaded(redrawnCheckpoint, file, engine);
      return { model, fromLayer: layer, redrawn };
    });
  }

  classifier(): Promise<Classifier> {
    return this.logits.get();
  }

  get camLayer(): string {
    return this.description.featureLayer;
  }

  get crop(): FaceCrop {
    return presetInfo(this.description.preset).crop;
  }

  get methods(): readonly CamMethodName[] {
    return this.kind === 'checkpoint'
      ? CAM_METHOD_NAMES
      : CAM_METHOD_NAMES.filter((m) => !CAM_METHODS[m].needs.includes('gradients'));
  }

  get unavailable(): readonly UnavailableMethod[] {
    return CAM_METHOD_NAMES.filter((m) => !this.methods.includes(m)).map((method) => ({
      method,
      reason: GRADIENT_METHODS_REASON,
    }));
  }

  async run(image: Float32Array, target: number): Promise<ModelOutputs> {
    const s = this.description.inputSize;
    const feeds: Record<string, ort.Tensor> = { image: floatTensor(image, [1, 3, s, s]) };
    if (this.kind === 'checkpoint') feeds['target'] = int64Tensor([target], [1]);
    const out = await this.session.run(feeds);
    const attention = attentionMaps(out, this.description);
    const logits = out['logits']!.data as Float32Array;
    if (this.kind === 'onnx') {
      return {
        logits,
        attention,
        activations: activationsOf(out['features']!.data as Float32Array, this.description, this.camLayer),
      };
    }
    return {
      logits,
      attention,
      activations: activationsOf(
        out[activationName(this.camLayer)]!.data as Float32Array,
        this.description,
        this.camLayer,
      ),
      gradients: out[gradientName(this.camLayer)]!.data as Float32Array,
      explained: Number((out[EXPLAINED_OUTPUT]!.data as BigInt64Array)[0]),
    };
  }

  async release(): Promise<void> {
    await this.logits.release();
    await this.session.release();
  }
}

/** A FileReadError as the ModelFileError every opener of a model answers with. */
export function unreadable(file: string, error: unknown): never {
  if (!(error instanceof FileReadError)) throw error;
  throw new ModelFileError(file, error.reason === 'folder' ? 'is a folder, not a model file' : error.problem, error);
}

async function openCheckpoint(file: string, engine: EngineOptions): Promise<OpenModel> {
  let checkpoint: LoadedCheckpoint;
  try {
    checkpoint = await loadCheckpoint(file);
  } catch (error) {
    if (error instanceof CheckpointError) throw new ModelFileError(file, error.problem, error);
    throw error;
  }
  return openLoaded(checkpoint, file, engine);
}

async function openLoaded(checkpoint: LoadedCheckpoint, file: string, engine: EngineOptions): Promise<OpenModel> {
  const { description, params } = checkpointModel(checkpoint, file);
  const graph = buildExplainerGraph(
    {
      preset: description.preset,
      numClasses: description.labels.length,
      camLayer: description.featureLayer,
      device: engineDevice(engine),
    },
    params,
  );
  const session = await createSession(graph, engine);
  const fcWeight = params.get(headWeightName(description.preset, description.labels.length))!;
  return new SessionModel(file, 'checkpoint', description, fcWeight, session, engine, checkpoint, checkpoint.note);
}

async function openOnnx(
  file: string,
  bytes: Uint8Array,
  engine: EngineOptions,
  sidecar: string | undefined,
): Promise<OpenModel> {
  const { proto, bytes: model } = await decodeWithData(bytes, file);
  if (!metadataOf(proto).has(METADATA_KEYS.format)) return openImported(file, proto, engine, sidecar);
  const description = describeExportedModel(metadataOf(proto), file);
  const info = presetInfo(description.preset);
  const k = description.labels.length;
  const c = info.featureChannels;
  const fcName = headWeightName(description.preset, description.labels.length);
  const fc = (proto.graph?.initializer ?? []).find((t) => t.name === fcName);
  const values = fc && tensorValues(fc);
  const fcWeight = values instanceof Float32Array ? values : undefined;
  if (!fcWeight || fcWeight.length !== k * c) {
    throw new ModelFileError(
      file,
      `the model has no "${fcName}" initializer of ${k}×${c} values; re-export it with au-lens export`,
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await createSession(model, engine);
  } catch (error) {
    throw new ModelFileError(
      file,
      `ONNX Runtime cannot load the model (${(error as Error).message.split('\n')[0]})`,
      error,
    );
  }
  const needed = ['logits', 'features', ...description.attentionLayers.map(attentionName)];
  const missing =
    needed.find((n) => !session.outputNames.includes(n)) ??
    (session.inputNames.includes('image') ? undefined : 'image');
  if (missing !== undefined) {
    await session.release();
    throw new ModelFileError(
      file,
      `the model has no "${missing}" ${missing === 'image' ? 'input' : 'output'}; re-export it with au-lens export`,
    );
  }
  return new SessionModel(file, 'onnx', description, fcWeight, session, engine);
}

export interface OpenOptions extends Trust {
  /** The sidecar of an ONNX model trained elsewhere; default: beside the model (import/sidecar.ts). */
  readonly sidecar?: string;
}

/**
 * Opens a pretrained model by name, a checkpoint (recognised by its magic line, whatever its name), or, when the
 * request is trusted (io/modelTrust.ts), an exported ONNX model or an ONNX classifier trained elsewhere with its
 * sidecar. ModelFileError for everything a user can fix by choosing another file or editing the sidecar;
 * UntrustedModelError for an ONNX model in an untrusted workspace.
 */
export async function openModel(file: string, engine: EngineOptions, options: OpenOptions): Promise<OpenModel> {
  if (isPretrainedModel(file)) return openLoaded(await pretrainedCheckpoint(file), file, engine);
  const kind = await checkModelTrust(file, options).catch((error: unknown) => unreadable(file, error));
  if (kind === 'checkpoint') return openCheckpoint(file, engine);
  const bytes = await readBoundedFile(file, READ_CAPS.modelFile, 'a model file').catch((error: unknown) =>
    unreadable(file, error),
  );
  if (bytes.length === 0) throw new ModelFileError(file, 'empty file (0 bytes)');
  return openOnnx(file, bytes, engine, options.sidecar);
}

export { PREDICTED_CLASS };
