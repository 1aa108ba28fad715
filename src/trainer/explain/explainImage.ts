/**
 * One photo explained by one model: which expression the model sees on a face, where its attention and its CAMs
 * lie, and how well they align with the Action Units of the explained expression (ATT-COS, CAM-COS, localisation,
 * per-AU energy share; Belharbi et al. 2024, §4 and Tables 1–2). The face goes through exactly the evaluation
 * pipeline (face frame, base square, eval transform, AU map by nearest), so the numbers are the ones
 * `au-lens eval` would give this image.
 *
 * `Explainer` keeps each model's ONNX Runtime session warm between calls (the editor explains image after image
 * through the worker) and reopens a model whose file changed, e.g. a best.ckpt rewritten by a training run.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { evalTransformSample } from '../data/augment';
import { cropImage, preparedSide, sampleFrame } from '../data/prepare';
import { sidecarPathFor } from '../import/sidecar';
import type { RgbImage } from '../io/image';
import { checkModelTrust } from '../io/modelTrust';
import { decodeImage } from '../io/image';
import { describeNoFace, detectWithCache } from '../io/landmarkCache';
import type { DetectedFace, FaceLandmarker } from '../io/landmarks';
import type { Expression } from '../science/labels';
import type { RunOptions } from '../science/metrics/faithfulness/classifier';
import { parseExpression } from '../science/labels';
import { DEFAULT_MODEL, isPretrainedModel } from '../train/pretrained';
import type { Explanation, ExplanationReport, ExplainRequest } from './explanation';
import { ExplainRequestError } from './explanation';
import type { OpenOptions } from './modelFile';
import { openModel, PREDICTED_CLASS, unreadable } from './modelFile';
import type { OpenModel } from './openModel';
import type { FaithfulnessRequest } from './explanationFaithfulness';
import { explanationFaithfulness } from './explanationFaithfulness';
import type { FaithfulnessReport } from '../science/faithfulnessReport';
import { scoreExplanation } from './scoreExplanation';

export interface ExplainerOptions {
  /** Called once, on the first explanation, so an Explainer costs nothing until used. */
  readonly landmarker: () => Promise<FaceLandmarker>;
  /** ONNX Runtime intra-op threads (default 1). */
  readonly threads?: number;
  /** Landmark cache folder; false detects every time (default: the user cache). */
  readonly landmarkCache?: string | false;
  readonly maxPixels?: number;
  /** Models kept open at once, least recently used closed first (default 2). */
  readonly maxModels?: number;
}

interface CachedModel {
  readonly stamp: string;
  readonly model: Promise<OpenModel>;
}

const elapsed = (since: number): number => performance.now() - since;

export class Explainer {
  private readonly models = new Map<string, CachedModel>();
  private landmarker: Promise<FaceLandmarker> | undefined;

  constructor(private readonly options: ExplainerOptions) {}

  /**
   * The open model for `file` (or a pretrained model's name), reopened when the file or its sidecar changed since
   * it was opened.
   */
  async model(file: string, options: OpenOptions): Promise<{ model: OpenModel; openedNow: boolean }> {
    const pretrained = isPretrainedModel(file);
    // Before the cache: a model opened for a trusted request is not handed to an untrusted one.
    if (!pretrained) await checkModelTrust(file, options).catch((error: unknown) => unreadable(file, error));
    const { sidecar } = options;
    const key = pretrained ? `pretrained:${file}` : path.resolve(file);
    const stampOf = async (f: string): Promise<string> => {
      const info = await stat(f).catch(() => undefined);
      return info ? `${info.size}:${info.mtimeMs}` : 'missing';
    };
    const stamp = pretrained ? 'pretrained' : `${await stampOf(key)}|${await stampOf(sidecar ?? sidecarPathFor(key))}`;
    const cached = this.models.get(key);
    if (cached && cached.stamp === stamp) {
      // Refresh the LRU order.
      this.models.delete(key);
      this.models.set(key, cached);
      return { model: await cached.model, openedNow: false };
    }
    if (cached) await this.close(key, cached);
    const entry: CachedModel = {
      stamp,
      model: openModel(file, { threads: this.options.threads ?? 1 }, options),
    };
    this.models.set(key, entry);
    // A failed open must not stay cached: the user fixes the file and tries again.
    entry.model.catch(() => {
      if (this.models.get(key) === entry) this.models.delete(key);
    });
    const model = await entry.model;
    await this.evict();
    return { model, openedNow: true };
  }

  private async close(key: string, entry: CachedModel): Promise<void> {
    this.models.delete(key);
    await entry.model.then((m) => m.release(), () => undefined);
  }

  private async evict(): Promise<void> {
    const max = Math.max(1, this.options.maxModels ?? 2);
    while (this.models.size > max) {
      const [key, entry] = this.models.entries().next().value as [string, CachedModel];
      await this.close(key, entry);
    }
  }

  /** How many models are open (for tests and the worker's status). */
  get openModels(): number {
    return this.models.size;
  }

  async explain(request: ExplainRequest): Promise<Explanation> {
    const started = performance.now();
    const modelRef = request.model ?? DEFAULT_MODEL;
    const { model, openedNow } = await this.model(modelRef, {
      trusted: request.trusted,
      ...(request.sidecar !== undefined && { sidecar: request.sidecar }),
    });
    const modelMs = openedNow ? elapsed(started) : 0;
    const d = model.description;
    const target = request.className === undefined ? PREDICTED_CLASS : classIndex(request.className, d.labels);

    let t = performance.now();
    const image = await decodeImage(
      request.image,
      this.options.maxPixels === undefined ? {} : { maxPixels: this.options.maxPixels },
    );
    const decodeMs = elapsed(t);
    t = performance.now();
    const faces = await this.detect(request.image, image);
    const landmarksMs = elapsed(t);
    const faceIndex = chooseFace(faces, request.face, image);
    const face = faces[faceIndex]!;

    t = performance.now();
    const side = preparedSide(d.inputSize, model.crop);
    const { frame, rgb } = cropImage(image, face, side, model.crop);
    const input = evalTransformSample({ side, rgb }, d.inputSize, d.normalisation).image;
    const prepareMs = elapsed(t);

    t = performance.now();
    const outputs = await model.run(input, target);
    const inferenceMs = elapsed(t);

    t = performance.now();
    const auFrame = sampleFrame(image, face);
    const scored = scoreExplanation({ model, outputs, target, face, frame, auFrame });
    const mapsMs = elapsed(t);

    const report: ExplanationReport = {
      image: { path: request.image, width: image.width, height: image.height },
      model: {
        path: modelRef,
        kind: model.kind,
        preset: d.preset,
        crop: model.crop,
        inputSize: d.inputSize,
        labels: d.labels,
        codebook: d.codebook.name,
        attentionLayers: d.attentionLayers,
        alignedLayers: d.alignedLayers,
        camLayer: model.camLayer,
        ...(model.note !== undefined && { note: model.note }),
      },
      face: { index: faceIndex, found: faces.length, box: face.box, score: face.score, method: face.method, frame },
      ...scored.report,
      timingsMs: {
        model: modelMs,
        decode: decodeMs,
        landmarks: landmarksMs,
        prepare: prepareMs,
        inference: inferenceMs,
        maps: mapsMs,
        total: elapsed(started),
      },
    };
    return { report, maps: { image, frame, auFrame, face, input, ...scored.maps } };
  }

  /**
   * The faithfulness metrics of an explanation this Explainer made, through the same (warm) model; `open` (trust
   * and sidecar) as the explanation's request gave it.
   */
  async faithfulness(
    explanation: Explanation,
    request: FaithfulnessRequest,
    open: OpenOptions,
    options: RunOptions = {},
  ): Promise<FaithfulnessReport> {
    const { model } = await this.model(explanation.report.model.path, open);
    return explanationFaithfulness(model, explanation, request, options);
  }

  private async detect(file: string, image: RgbImage): Promise<DetectedFace[]> {
    if (!this.landmarker) {
      const starting = this.options.landmarker();
      // A failed start (missing model files) must not poison later calls.
      starting.catch(() => {
        if (this.landmarker === starting) this.landmarker = undefined;
      });
      this.landmarker = starting;
    }
    const detector = await this.landmarker;
    const cache = this.options.landmarkCache;
    if (cache === false) return detector.detect(image);
    return detectWithCache(detector, file, { image, ...(cache !== undefined && { dir: cache }) });
  }

  /** Closes every session. */
  async release(): Promise<void> {
    await Promise.all([...this.models].map(([key, entry]) => this.close(key, entry)));
  }
}

function classIndex(name: string, labels: readonly Expression[]): number {
  const expression = parseExpression(name);
  const index = expression === undefined ? -1 : labels.indexOf(expression);
  if (index < 0) throw new ExplainRequestError(`the model has no class "${name}"; its classes: ${labels.join(', ')}`);
  return index;
}

/** The requested face, or the most confident one. */
function chooseFace(faces: readonly DetectedFace[], requested: number | undefined, image: RgbImage): number {
  if (faces.length === 0) throw new Error(describeNoFace(image.source, image.width, image.height));
  if (requested === undefined) return faces.reduce((best, f, i) => (f.score > faces[best]!.score ? i : best), 0);
  if (!Number.isInteger(requested) || requested < 0 || requested >= faces.length) {
    throw new ExplainRequestError(
      `face ${requested} does not exist: ${faces.length} face(s) found ` +
        `(${faces.length === 1 ? '0' : `0–${faces.length - 1}`})`,
    );
  }
  return requested;
}
