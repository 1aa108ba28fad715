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
import type { CamInput } from '../cam';
import { CAM_METHODS, fcRow } from '../cam';
import { baseSideFor, evalTransformSample } from '../data/augment';
import { cropImage, sampleFrame } from '../data/prepare';
import { sidecarPathFor } from '../import/sidecar';
import type { RgbImage } from '../io/image';
import { decodeImage } from '../io/image';
import { describeNoFace, detectWithCache } from '../io/landmarkCache';
import type { DetectedFace, FaceLandmarker } from '../io/landmarks';
import type { CamMethodName } from '../science/camMethods';
import { ausForExpression } from '../science/codebook';
import type { FaceCrop, FaceFrame } from '../science/faceFrame';
import { FACE_FRAME_SIZE, landmarksInFrame, moveFrameMap, sameFrame } from '../science/faceFrame';
import type { AuHeatmap } from '../science/heatmap';
import { buildAuHeatmap } from '../science/heatmap';
import type { Expression } from '../science/labels';
import { parseExpression } from '../science/labels';
import { attentionCosine, camCosine, prepareAttention, prepareCam } from '../science/metrics/cosine';
import type { AuEnergyShare, LocalisationReport } from '../science/metrics/localisation';
import { DEFAULT_MASK_THRESHOLD, localisationReport } from '../science/metrics/localisation';
import { argmax, softmax } from '../science/metrics/scores';
import { resizeNearest } from '../science/raster';
import type { Heatmap } from '../science/types';
import { DEFAULT_MODEL, isPretrainedModel } from '../train/pretrained';
import type { ModelKind, ModelOutputs, OpenModel, UnavailableMethod } from './modelFile';
import { openModel, PREDICTED_CLASS } from './modelFile';

export interface ExplainRequest {
  /**
   * An AU Lens checkpoint, a model written by `au-lens export`, or a pretrained model's name; default
   * DEFAULT_MODEL (face-api's expression network), so a fresh install explains without training.
   */
  readonly model?: string;
  /** The sidecar of an ONNX model trained elsewhere; default: beside the model (`model.au-lens.json`). */
  readonly sidecar?: string;
  readonly image: string;
  /** Index into the detected faces (as `au-lens aumap --face`); default: the most confident face. */
  readonly face?: number;
  /** The expression to explain (any spelling parseExpression knows); default: the predicted class. */
  readonly className?: string;
}

/** A request the user can fix by asking for something else (a face or class that does not exist). */
export class ExplainRequestError extends Error {
  override readonly name = 'ExplainRequestError';
}

export interface AuShare {
  readonly au: string;
  readonly facs: number;
  /** The FACS name from the model's codebook. */
  readonly name: string;
  readonly share: number;
  readonly pixels: number;
}

export type LocalisationScores = Omit<LocalisationReport<unknown>, 'perAuEnergyShare'>;

export interface ExplanationReport {
  readonly image: { readonly path: string; readonly width: number; readonly height: number };
  readonly model: {
    readonly path: string;
    readonly kind: ModelKind;
    readonly preset: string;
    /** How the face was cropped for the model. */
    readonly crop: FaceCrop;
    readonly inputSize: number;
    readonly labels: readonly Expression[];
    readonly codebook: string;
    readonly attentionLayers: readonly string[];
    readonly alignedLayers: readonly string[];
    readonly camLayer: string;
  };
  readonly face: {
    readonly index: number;
    readonly found: number;
    readonly box: DetectedFace['box'];
    readonly score: number;
    readonly method: DetectedFace['method'];
    /** The square the model saw, in image pixels. */
    readonly frame: FaceFrame;
  };
  /** Softmax probability per class, in the model's label order. */
  readonly scores: Readonly<Partial<Record<Expression, number>>>;
  readonly predicted: { readonly class: Expression; readonly probability: number };
  readonly explained: {
    readonly class: Expression;
    readonly probability: number;
    /** True when the class was asked for (--class), false when it is the prediction. */
    readonly requested: boolean;
    readonly aus: readonly { readonly au: string; readonly facs: number; readonly name: string }[];
  };
  readonly auMap: { readonly valid: true } | { readonly valid: false; readonly reason: string; readonly detail: string };
  /** ATT-COS per layer; null when the AU map is invalid (see cosineNote). */
  readonly attCos: Readonly<Record<string, number | null>>;
  /** CAM-COS per computed method; null when the AU map is invalid. */
  readonly camCos: Readonly<Record<string, number | null>>;
  /** Why the cosines and localisation scores are null; null when they are not. */
  readonly cosineNote: string | null;
  readonly methods: { readonly computed: readonly CamMethodName[]; readonly unavailable: readonly UnavailableMethod[] };
  /**
   * Share of each map's energy inside each AU region (AU map > τ), keyed by map: the CAM layer's attention (its
   * layer name) and each CAM (its method name); null when the AU map is invalid or the map has no energy.
   */
  readonly perAuEnergyShare: Readonly<Record<string, readonly AuShare[] | null>>;
  /** Localisation of the same maps against the explained class's AU map; null when the AU map is invalid. */
  readonly localisation: { readonly threshold: number; readonly maps: Readonly<Record<string, LocalisationScores | null>> };
  /** One line for people, e.g. "happy 0.91 — 68 % of stage3 attention lies on AU6, AU12, AU25". */
  readonly reading: string;
  readonly timingsMs: {
    /** Opening the model (0 when its session was already warm). */
    readonly model: number;
    readonly decode: number;
    readonly landmarks: number;
    readonly prepare: number;
    readonly inference: number;
    /** AU map, CAMs and metrics. */
    readonly maps: number;
    readonly total: number;
  };
}

/** What rendering needs beyond the report: the photo, the face and the maps at their native resolutions. */
export interface ExplanationMaps {
  readonly image: RgbImage;
  readonly frame: FaceFrame;
  readonly face: DetectedFace;
  /** The explained class's AU map over the square the model saw (`frame`), at 224 px; undefined when invalid. */
  readonly auFrameMap?: Heatmap;
  /** The same AU map at the model's input size, as the metrics see it. */
  readonly auInputMap?: Heatmap;
  /** Attention per layer, at the layer's resolution. */
  readonly attention: ReadonlyMap<string, Heatmap>;
  /** Each computed CAM at the CAM layer's resolution (not normalised). */
  readonly cams: ReadonlyMap<CamMethodName, Heatmap>;
}

export interface Explanation {
  readonly report: ExplanationReport;
  readonly maps: ExplanationMaps;
}

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
  async model(file: string, sidecar?: string): Promise<{ model: OpenModel; openedNow: boolean }> {
    const pretrained = isPretrainedModel(file);
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
    const entry: CachedModel = { stamp, model: openModel(file, { threads: this.options.threads ?? 1 }, sidecar === undefined ? {} : { sidecar }) };
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
    const { model, openedNow } = await this.model(modelRef, request.sidecar);
    const modelMs = openedNow ? elapsed(started) : 0;
    const d = model.description;
    const target = request.className === undefined ? PREDICTED_CLASS : classIndex(request.className, d.labels);

    let t = performance.now();
    const image = await decodeImage(request.image, this.options.maxPixels === undefined ? {} : { maxPixels: this.options.maxPixels });
    const decodeMs = elapsed(t);
    t = performance.now();
    const faces = await this.detect(request.image, image);
    const landmarksMs = elapsed(t);
    const faceIndex = chooseFace(faces, request.face, image);
    const face = faces[faceIndex]!;

    t = performance.now();
    const side = baseSideFor(d.inputSize);
    const { frame, rgb } = cropImage(image, face, side, model.crop);
    const input = evalTransformSample({ side, rgb }, d.inputSize, d.normalisation).image;
    const prepareMs = elapsed(t);

    t = performance.now();
    const outputs = await model.run(input, target);
    const inferenceMs = elapsed(t);

    t = performance.now();
    const scored = scoreExplanation({ model, outputs, target, face, frame, auFrame: sampleFrame(image, face) });
    const mapsMs = elapsed(t);

    const report: ExplanationReport = {
      image: { path: request.image, width: image.width, height: image.height },
      model: {
        path: modelRef, kind: model.kind, preset: d.preset, crop: model.crop, inputSize: d.inputSize, labels: d.labels, codebook: d.codebook.name,
        attentionLayers: d.attentionLayers, alignedLayers: d.alignedLayers, camLayer: model.camLayer,
      },
      face: { index: faceIndex, found: faces.length, box: face.box, score: face.score, method: face.method, frame },
      ...scored.report,
      timingsMs: { model: modelMs, decode: decodeMs, landmarks: landmarksMs, prepare: prepareMs, inference: inferenceMs, maps: mapsMs, total: elapsed(started) },
    };
    return { report, maps: { image, frame, face, ...scored.maps } };
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
    throw new ExplainRequestError(`face ${requested} does not exist: ${faces.length} face(s) found (${faces.length === 1 ? '0' : `0–${faces.length - 1}`})`);
  }
  return requested;
}

interface ScoreInput {
  readonly model: Pick<OpenModel, 'description' | 'camLayer' | 'methods' | 'unavailable' | 'fcWeight'>;
  readonly outputs: ModelOutputs;
  /** The requested class index, or PREDICTED_CLASS. */
  readonly target: number;
  readonly face: DetectedFace;
  /** The square the model saw. */
  readonly frame: FaceFrame;
  /** The paper's face frame, where AU maps are built (default: `frame`). */
  readonly auFrame?: FaceFrame;
}

type ScoredReport = Omit<ExplanationReport, 'image' | 'model' | 'face' | 'timingsMs'>;

/**
 * A map of the paper's frame moved to the model's input as the data pipeline moves it (prepare.ts, augment.ts):
 * nearest to the base square of the model's crop, nearest to S.
 */
function toInputSize(map: Heatmap, inputSize: number, auFrame: FaceFrame, frame: FaceFrame): Heatmap {
  const side = baseSideFor(inputSize);
  const base = sameFrame(auFrame, frame) ? resizeNearest(map, side, side) : moveFrameMap(map, auFrame, frame, side);
  const input = resizeNearest(base, inputSize, inputSize);
  // The loader clips maps to [0, 1] last (augment.ts mapInto).
  for (let i = 0; i < input.data.length; i++) input.data[i] = Math.min(1, Math.max(0, input.data[i]!));
  return input;
}

const auLabel = (facs: number): string => `AU${facs}`;

/** The localisation scores alone: the report keeps the per-AU shares apart, with FACS names. */
function withoutShares(full: LocalisationReport<number>): LocalisationScores {
  const { threshold, tolerance, topK, maskPixels, totalPixels, pointingGame, energyPointingGame, relevanceMassAccuracy, relevanceRankAccuracy, topKIntersection, rocAuc } = full;
  return { threshold, tolerance, topK, maskPixels, totalPixels, pointingGame, energyPointingGame, relevanceMassAccuracy, relevanceRankAccuracy, topKIntersection, rocAuc };
}

/** Scores, maps and metrics of one run; pure apart from the CAM arithmetic. */
export function scoreExplanation(input: ScoreInput): { report: ScoredReport; maps: Omit<ExplanationMaps, 'image' | 'frame' | 'face'> } {
  const { model, outputs, target, face, frame } = input;
  // AU maps are drawn in the paper's frame, where its constants hold, and seen from the model's own crop.
  const auFrame = input.auFrame ?? frame;
  const d = model.description;
  const s = d.inputSize;
  if (!outputs.logits.every(Number.isFinite)) throw new Error('the model produced non-finite scores (diverged weights?); explain another checkpoint');
  const probabilities = softmax(outputs.logits);
  const predicted = argmax(probabilities);
  const explained = target >= 0 ? target : outputs.explained ?? predicted;
  const explainedClass = d.labels[explained]!;
  const auNames = new Map(d.codebook.actionUnits.map((a) => [a.facs, a.name]));
  const aus = ausForExpression(d.codebook, explainedClass);

  const heatmap: AuHeatmap = buildAuHeatmap(landmarksInFrame(face.landmarks, auFrame), FACE_FRAME_SIZE, FACE_FRAME_SIZE, aus);
  const auFrameMap = !heatmap.valid ? undefined : sameFrame(auFrame, frame) ? heatmap.map : moveFrameMap(heatmap.map, auFrame, frame, FACE_FRAME_SIZE);
  const auInputMap = heatmap.valid ? toInputSize(heatmap.map, s, auFrame, frame) : undefined;
  const regions = heatmap.valid ? heatmap.perAu.map((a) => ({ facs: a.facs, map: toInputSize(a.map, s, auFrame, frame) })) : [];

  const cams = new Map<CamMethodName, Heatmap>();
  const camInput: CamInput = {
    activations: outputs.activations,
    ...(outputs.gradients && { gradients: outputs.gradients }),
    classWeights: fcRow(model.fcWeight, d.labels.length, outputs.activations.channels, explained),
  };
  for (const method of model.methods) cams.set(method, CAM_METHODS[method].cam.explain(camInput));

  const attCos: Record<string, number | null> = {};
  for (const [layer, att] of outputs.attention) attCos[layer] = auInputMap ? attentionCosine(att, auInputMap) : null;
  const camCos: Record<string, number | null> = {};
  for (const [method, cam] of cams) camCos[method] = auInputMap ? camCosine(cam, auInputMap) : null;

  // The CAM layer's attention and every CAM, at the AU map's size as the metrics compare them.
  const localised = new Map<string, Heatmap>([[model.camLayer, prepareAttention(outputs.attention.get(model.camLayer)!, s, s)]]);
  for (const [method, cam] of cams) localised.set(method, prepareCam(cam, s, s));
  const perAuEnergyShare: Record<string, AuShare[] | null> = {};
  const localisation: Record<string, LocalisationScores | null> = {};
  for (const [key, map] of localised) {
    const full = auInputMap ? localisationReport(map, auInputMap, regions) : null;
    const shares = full?.perAuEnergyShare ?? null;
    perAuEnergyShare[key] = shares && shares.map((a: AuEnergyShare<number>) => ({ au: auLabel(a.facs), facs: a.facs, name: auNames.get(a.facs) ?? '', share: a.share, pixels: a.pixels }));
    localisation[key] = full && withoutShares(full);
  }

  const cosineNote = heatmap.valid ? null : `no AU map for ${explainedClass}: ${heatmap.detail}`;
  const report: ScoredReport = {
    scores: Object.fromEntries(d.labels.map((l, i) => [l, probabilities[i]!])),
    predicted: { class: d.labels[predicted]!, probability: probabilities[predicted]! },
    explained: {
      class: explainedClass,
      probability: probabilities[explained]!,
      requested: target >= 0,
      aus: aus.map((facs) => ({ au: auLabel(facs), facs, name: auNames.get(facs) ?? '' })),
    },
    auMap: heatmap.valid ? { valid: true } : { valid: false, reason: heatmap.reason, detail: heatmap.detail },
    attCos,
    camCos,
    cosineNote,
    methods: { computed: [...cams.keys()], unavailable: model.unavailable },
    perAuEnergyShare,
    localisation: { threshold: DEFAULT_MASK_THRESHOLD, maps: localisation },
    reading: '',
  };
  const drawn = heatmap.valid ? heatmap.perAu.map((a) => auLabel(a.facs)) : [];
  return {
    report: { ...report, reading: readingOf(report, model.camLayer, drawn) },
    maps: {
      ...(auFrameMap && { auFrameMap, auInputMap }),
      attention: outputs.attention,
      cams,
    },
  };
}

/** "happy 0.91 — 68 % of stage3 attention lies on AU6, AU12, AU25", or why no alignment is measured. */
function readingOf(r: ScoredReport, camLayer: string, drawnAus: readonly string[]): string {
  const head = `${r.predicted.class} ${r.predicted.probability.toFixed(2)}` +
    (r.explained.class !== r.predicted.class ? ` (explaining ${r.explained.class} ${r.explained.probability.toFixed(2)})` : '');
  if (r.cosineNote !== null) return `${head} — ${r.cosineNote}, so no alignment is measured`;
  const inside = r.localisation.maps[camLayer]?.energyPointingGame ?? null;
  if (inside === null) return `${head} — the ${r.explained.class} AU regions are empty at the model's input size, so no share is measured`;
  return `${head} — ${Math.round(100 * inside)} % of ${camLayer} attention lies on ${drawnAus.join(', ')}`;
}
